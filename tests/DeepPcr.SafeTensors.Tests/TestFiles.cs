using System.Buffers.Binary;
using System.Text;

namespace DeepPcr.SafeTensors.Tests;

/// <summary>Builds safetensors bytes by hand, the way an external writer would.</summary>
internal static class TestFiles
{
    /// <summary>8-byte little-endian header length, the header (space-padded to 8 bytes), then the data.</summary>
    internal static byte[] Build(string headerJson, byte[] data, bool pad = true)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        int padded = pad ? (header.Length + 7) / 8 * 8 : header.Length;
        var file = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        header.CopyTo(file, 8);
        file.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        data.CopyTo(file, 8 + padded);
        return file;
    }

    internal static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }

    internal static byte[] Doubles(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
        }

        return bytes;
    }

    internal static byte[] UInt16s(params ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), values[i]);
        }

        return bytes;
    }

    /// <summary>A small valid file with metadata and three tensors of different dtypes.</summary>
    internal static byte[] Sample()
    {
        var writer = new SafeTensorWriter();
        writer.Metadata["format"] = "pt";
        writer.Metadata["note"] = "fuzz seed";
        writer.Add("w", [1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        writer.Add("b", [0.5, -0.25], [2]);
        writer.Add("s", [7f], []);
        writer.Add("h", SafeTensorDtype.F16, [2], UInt16s(0x3C00, 0xC100));
        return writer.ToBytes();
    }
}
