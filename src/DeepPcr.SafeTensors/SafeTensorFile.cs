using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;

namespace DeepPcr.SafeTensors;

/// <summary>
/// A safetensors file held in memory (<see cref="Read(string)"/>; files must fit in one .NET array, just under
/// 2 GiB), or only its header, each tensor read from the file when it is asked for (<see cref="OpenHeader"/>: a
/// reader that needs a few of the tensors, such as one rank's layers). Either way the header is fully validated: every
/// tensor entry is well formed, sizes match shapes, and the tensors cover the data buffer exactly without overlap or gap.
/// </summary>
public sealed class SafeTensorFile
{
    private const int NamesListedInErrors = 20;

    private readonly byte[]? _file;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorFile(byte[] file, string source)
        : this(SafeTensorHeaderParser.Parse(file, source), source)
    {
        _file = file;
    }

    private SafeTensorFile(SafeTensorHeader header, string source)
    {
        _dataStart = header.DataStart;
        Source = source;
        Metadata = new ReadOnlyDictionary<string, string>(header.Metadata);
        Tensors = Array.AsReadOnly(header.Tensors);
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Where the file came from: its path, or the source name given to <see cref="Read(ReadOnlySpan{byte}, string)"/>. Error messages start with it.</summary>
    public string Source { get; }

    /// <summary>The header's "__metadata__" map; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in the order of their data offsets.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>Reads and validates a safetensors file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The validated file.</returns>
    /// <exception cref="SafeTensorsFormatException">The file breaks the format.</exception>
    /// <exception cref="NotSupportedException">The file is too large to hold in one array.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1))
        {
            long length = stream.Length;
            if (length > Array.MaxLength)
            {
                throw new NotSupportedException($"{path}: file is {length} bytes, larger than this reader's limit of {Array.MaxLength} bytes");
            }

            bytes = new byte[length];
            stream.ReadExactly(bytes);
        }

        return new SafeTensorFile(bytes, path);
    }

    /// <summary>Reads and validates a safetensors file's header only; each tensor's bytes are read from the file when
    /// asked for (the file must not change meanwhile). No limit on the file's size; each tensor must fit in one array.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The validated header, reading from <paramref name="path"/>.</returns>
    /// <exception cref="SafeTensorsFormatException">The header breaks the format.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorFile OpenHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var first = new byte[8];
        int got = stream.ReadAtLeast(first, 8, throwOnEndOfStream: false);
        int n = SafeTensorHeaderParser.HeaderLength(first.AsSpan(0, got), stream.Length, path);
        var prefix = new byte[8 + n];
        first.CopyTo(prefix, 0);
        stream.ReadExactly(prefix, 8, n);
        return new SafeTensorFile(SafeTensorHeaderParser.Parse(prefix, stream.Length, path), path);
    }

    /// <summary>Validates a safetensors file given as bytes; the bytes are copied.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">A name for the bytes, used in error messages.</param>
    /// <returns>The validated file.</returns>
    /// <exception cref="SafeTensorsFormatException">The bytes break the format.</exception>
    public static SafeTensorFile Read(ReadOnlySpan<byte> bytes, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return new SafeTensorFile(bytes.ToArray(), sourceName);
    }

    /// <summary>Whether the file holds a tensor of this name.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>True if the tensor is present.</returns>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of a tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>The tensor's entry.</returns>
    /// <exception cref="KeyNotFoundException">No tensor has this name; the message lists the names the file holds.</exception>
    public SafeTensorInfo Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_byName.TryGetValue(name, out SafeTensorInfo? info))
        {
            return info;
        }

        IEnumerable<string> names = Tensors.Take(NamesListedInErrors).Select(t => t.Name);
        string held = Tensors.Count == 0 ? "(no tensors)" : string.Join(", ", names);
        if (Tensors.Count > NamesListedInErrors)
        {
            held += $", ... ({Tensors.Count - NamesListedInErrors} more)";
        }

        throw new KeyNotFoundException(
            $"tensor {SafeTensorText.Quote(name)} is not in {Source}; it holds: {held}".ReplaceLineEndings(" "));
    }

    /// <summary>The raw little-endian bytes of a tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>A view of the tensor's bytes inside the file.</returns>
    /// <exception cref="KeyNotFoundException">No tensor has this name.</exception>
    public ReadOnlySpan<byte> Bytes(string name)
    {
        SafeTensorInfo info = Get(name);
        if (_file is not null) return _file.AsSpan(checked((int)(_dataStart + info.Begin)), checked((int)info.ByteLength));
        var bytes = new byte[checked((int)info.ByteLength)];
        using var stream = new FileStream(Source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        stream.Position = _dataStart + info.Begin;
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Reads an F32 tensor, flattened in row-major order.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>The values.</returns>
    /// <exception cref="KeyNotFoundException">No tensor has this name.</exception>
    /// <exception cref="SafeTensorsFormatException">The tensor's dtype is not F32.</exception>
    public float[] ReadFloat32(string name)
    {
        ReadOnlySpan<byte> bytes = BytesOfDtype(name, SafeTensorDtype.F32);
        var values = new float[bytes.Length / sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
            }
        }

        return values;
    }

    /// <summary>Reads an F64 tensor, flattened in row-major order.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>The values.</returns>
    /// <exception cref="KeyNotFoundException">No tensor has this name.</exception>
    /// <exception cref="SafeTensorsFormatException">The tensor's dtype is not F64.</exception>
    public double[] ReadFloat64(string name)
    {
        ReadOnlySpan<byte> bytes = BytesOfDtype(name, SafeTensorDtype.F64);
        var values = new double[bytes.Length / sizeof(double)];
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * sizeof(double))..]);
            }
        }

        return values;
    }

    /// <summary>Reads a floating-point tensor (F64, F32, F16 or BF16) as doubles, flattened in row-major order.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>The values, converted exactly (every F32, F16 and BF16 value is a double).</returns>
    /// <exception cref="KeyNotFoundException">No tensor has this name.</exception>
    /// <exception cref="SafeTensorsFormatException">The tensor's dtype is not a floating-point type.</exception>
    public double[] ReadAsFloat64(string name)
    {
        SafeTensorInfo info = Get(name);
        switch (info.Dtype)
        {
            case SafeTensorDtype.F64:
                return ReadFloat64(name);
            case SafeTensorDtype.F32:
                return Array.ConvertAll(ReadFloat32(name), v => (double)v);
            case SafeTensorDtype.F16:
            {
                ReadOnlySpan<byte> bytes = Bytes(name);
                var values = new double[bytes.Length / 2];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (double)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                }

                return values;
            }

            case SafeTensorDtype.BF16:
            {
                ReadOnlySpan<byte> bytes = Bytes(name);
                var values = new double[bytes.Length / 2];
                for (int i = 0; i < values.Length; i++)
                {
                    int bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16;
                    values[i] = BitConverter.Int32BitsToSingle(bits);
                }

                return values;
            }

            default:
                throw new SafeTensorsFormatException(
                    $"{Source}: tensor {SafeTensorText.Quote(name)} has dtype {info.Dtype.ToHeaderString()}, expected a floating-point dtype (F64, F32, F16 or BF16)");
        }
    }

    private ReadOnlySpan<byte> BytesOfDtype(string name, SafeTensorDtype expected)
    {
        SafeTensorInfo info = Get(name);
        if (info.Dtype != expected)
        {
            throw new SafeTensorsFormatException(
                $"{Source}: tensor {SafeTensorText.Quote(name)} has dtype {info.Dtype.ToHeaderString()}, expected {expected.ToHeaderString()}");
        }

        return Bytes(name);
    }
}
