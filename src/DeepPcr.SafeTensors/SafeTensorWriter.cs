using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DeepPcr.SafeTensors;

/// <summary>
/// Collects tensors and writes them as a safetensors file: the header padded with spaces to a
/// multiple of 8 bytes, then the tensors' bytes contiguously in the order they were added.
/// Every <c>Add</c> validates its arguments at once, so a rejected tensor leaves the writer unchanged.
/// </summary>
public sealed class SafeTensorWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<Entry> _entries = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>The "__metadata__" map written into the header (omitted when empty). Keys are written in ordinal order.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The number of tensors added so far.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds an F32 tensor.</summary>
    /// <param name="name">A unique, non-empty name other than "__metadata__".</param>
    /// <param name="data">The values in row-major order; copied.</param>
    /// <param name="shape">The dimensions; empty for a scalar.</param>
    /// <exception cref="ArgumentException">The name is invalid or taken, or the data length does not match the shape.</exception>
    public void Add(string name, float[] data, long[] shape) =>
        AddValues(name, data, shape, SafeTensorDtype.F32, static (span, value) => BinaryPrimitives.WriteSingleLittleEndian(span, value));

    /// <summary>Adds an F64 tensor.</summary>
    /// <param name="name">A unique, non-empty name other than "__metadata__".</param>
    /// <param name="data">The values in row-major order; copied.</param>
    /// <param name="shape">The dimensions; empty for a scalar.</param>
    /// <exception cref="ArgumentException">The name is invalid or taken, or the data length does not match the shape.</exception>
    public void Add(string name, double[] data, long[] shape) =>
        AddValues(name, data, shape, SafeTensorDtype.F64, static (span, value) => BinaryPrimitives.WriteDoubleLittleEndian(span, value));

    /// <summary>Copies values as little-endian bytes (a plain copy on little-endian machines) and stores them.</summary>
    private void AddValues<T>(string name, T[] data, long[] shape, SafeTensorDtype dtype, SpanAction<byte, T> writeLittleEndian)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = Validate(name, shape);
        CheckLength(name, shape, count, data.Length);
        int size = dtype.ElementSize();
        var bytes = new byte[checked(data.Length * size)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(data.AsSpan()).CopyTo(bytes);
        }
        else
        {
            for (int i = 0; i < data.Length; i++) writeLittleEndian(bytes.AsSpan(i * size), data[i]);
        }

        Store(name, dtype, shape, bytes);
    }

    /// <summary>Adds a tensor of any supported dtype from its raw little-endian, row-major bytes.</summary>
    /// <param name="name">A unique, non-empty name other than "__metadata__".</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions; empty for a scalar.</param>
    /// <param name="littleEndianBytes">The tensor's bytes; copied.</param>
    /// <exception cref="ArgumentException">The name is invalid or taken, the dtype is undefined, or the byte length does not match the shape.</exception>
    public void Add(string name, SafeTensorDtype dtype, long[] shape, ReadOnlySpan<byte> littleEndianBytes)
    {
        long count = Validate(name, shape);
        if (!Enum.IsDefined(dtype))
        {
            throw new ArgumentException($"tensor {SafeTensorText.Quote(name)}: dtype {(int)dtype} is not defined", nameof(dtype));
        }

        long expected;
        try
        {
            expected = checked(count * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"tensor {SafeTensorText.Quote(name)}: shape {SafeTensorText.Shape(shape)} has a byte size that overflows", nameof(shape));
        }

        if (littleEndianBytes.Length != expected)
        {
            throw new ArgumentException(
                $"tensor {SafeTensorText.Quote(name)}: {littleEndianBytes.Length} bytes given but shape {SafeTensorText.Shape(shape)} of {dtype.ToHeaderString()} needs {expected}",
                nameof(littleEndianBytes));
        }

        Store(name, dtype, shape, littleEndianBytes.ToArray());
    }

    /// <summary>The whole file as bytes.</summary>
    /// <returns>The file's bytes.</returns>
    /// <exception cref="InvalidOperationException">The file would not fit in one array, or a metadata value is null.</exception>
    public byte[] ToBytes()
    {
        byte[] header = BuildHeader();
        long total = 8L + header.Length + _entries.Sum(e => (long)e.Bytes.Length);
        if (total > Array.MaxLength)
        {
            throw new InvalidOperationException($"the file would be {total} bytes, too large for one array; use Save or WriteTo");
        }

        using var stream = new MemoryStream((int)total);
        WriteTo(stream, header);
        return stream.ToArray();
    }

    /// <summary>Writes the whole file to a stream.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <exception cref="InvalidOperationException">A metadata value is null.</exception>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WriteTo(stream, BuildHeader());
    }

    /// <summary>
    /// Saves the file atomically: writes a temporary file in the same folder, flushes it to disk and
    /// moves it over <paramref name="path"/>. A failed save leaves no partial file at <paramref name="path"/>.
    /// </summary>
    /// <param name="path">The destination; an existing file is replaced.</param>
    /// <exception cref="InvalidOperationException">A metadata value is null.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"{path} has no parent folder", nameof(path));
        byte[] header = BuildHeader();
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                WriteTo(stream, header);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // Best effort: the original error matters more.
            }
            catch (UnauthorizedAccessException)
            {
                // Best effort: the original error matters more.
            }

            throw;
        }
    }

    private void WriteTo(Stream stream, byte[] header)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (Entry e in _entries)
        {
            stream.Write(e.Bytes);
        }
    }

    /// <summary>The header JSON, padded with spaces to a multiple of 8 bytes.</summary>
    private byte[] BuildHeader()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject(SafeTensorHeaderParser.MetadataKey);
                foreach (KeyValuePair<string, string> kv in Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (kv.Value is null)
                    {
                        throw new InvalidOperationException($"metadata {SafeTensorText.Quote(kv.Key)} has a null value");
                    }

                    json.WriteString(kv.Key, kv.Value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (Entry e in _entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.Dtype.ToHeaderString());
                json.WriteStartArray("shape");
                foreach (long d in e.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += e.Bytes.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int length = buffer.WrittenCount;
        int padded = (length + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    /// <summary>Checks the name and shape; returns the element count.</summary>
    private long Validate(string name, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name.Length == 0)
        {
            throw new ArgumentException("tensor name is empty", nameof(name));
        }

        if (name == SafeTensorHeaderParser.MetadataKey)
        {
            throw new ArgumentException($"tensor name {SafeTensorText.Quote(name)} is reserved for metadata", nameof(name));
        }

        try
        {
            StrictUtf8.GetByteCount(name);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"tensor name {SafeTensorText.Quote(name)} is not valid UTF-16 text", nameof(name));
        }

        if (_names.Contains(name))
        {
            throw new ArgumentException($"tensor {SafeTensorText.Quote(name)} was already added", nameof(name));
        }

        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentException($"tensor {SafeTensorText.Quote(name)}: shape dimension {i} is {shape[i]}, negative", nameof(shape));
            }
        }

        try
        {
            return SafeTensorText.CheckedElementCount(shape);
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"tensor {SafeTensorText.Quote(name)}: shape {SafeTensorText.Shape(shape)} has an element count that overflows", nameof(shape));
        }
    }

    private static void CheckLength(string name, long[] shape, long count, int length)
    {
        if (length != count)
        {
            throw new ArgumentException(
                $"tensor {SafeTensorText.Quote(name)}: {length} values given but shape {SafeTensorText.Shape(shape)} holds {count}",
                "data");
        }
    }

    private void Store(string name, SafeTensorDtype dtype, long[] shape, byte[] bytes)
    {
        _names.Add(name);
        _entries.Add(new Entry(name, dtype, (long[])shape.Clone(), bytes));
    }

    private sealed record Entry(string Name, SafeTensorDtype Dtype, long[] Shape, byte[] Bytes);
}
