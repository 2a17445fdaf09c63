using System.Buffers.Binary;
using System.Text;

namespace DeepPcr.SafeTensors.Tests;

public class FuzzTests
{
    private static readonly byte[] Valid = BuildValid();

    private static readonly string[] Names = ["layer.weight", "layer.bias", "step", "half.scale", "empty"];

    [Fact]
    public void EveryTruncationIsRejected()
    {
        Assert.Equal(Names.Order().ToArray(), SafeTensorFile.Read(Valid).Tensors.Select(t => t.Name).Order().ToArray());
        for (int length = 0; length < Valid.Length; length++)
        {
            byte[] truncated = Valid[..length];
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensorFile.Read(truncated));
        }
    }

    [Fact]
    public void RandomSingleByteCorruptionsSucceedWithTheSameNamesOrAreRejected()
    {
        var random = new Random(20240611);
        int rejected = 0, accepted = 0;
        for (int i = 0; i < 500; i++)
        {
            int position = random.Next(Valid.Length);
            byte mask = (byte)random.Next(1, 256);
            if (Check(position, mask))
            {
                accepted++;
            }
            else
            {
                rejected++;
            }
        }

        Assert.True(rejected > 50, $"only {rejected} corruptions rejected");
        Assert.True(accepted > 10, $"only {accepted} corruptions accepted");
    }

    [Fact]
    public void EverySingleBitFlipSucceedsWithTheSameNamesOrIsRejected()
    {
        for (int position = 0; position < Valid.Length; position++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                Check(position, (byte)(1 << bit));
            }
        }
    }

    /// <summary>Corrupts one byte; returns whether the file still loaded. Any exception but SafeTensorsFormatException fails the test.</summary>
    private static bool Check(int position, byte mask)
    {
        byte[] corrupt = (byte[])Valid.Clone();
        corrupt[position] ^= mask;
        SafeTensorFile file;
        try
        {
            file = SafeTensorFile.Read(corrupt);
        }
        catch (SafeTensorsFormatException)
        {
            return false;
        }

        string[] names = file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
        if (InName(position))
        {
            // A byte inside a tensor name may turn it into another valid name.
            Assert.Equal(Names.Length, names.Length);
        }
        else
        {
            Assert.Equal(Names.Order(StringComparer.Ordinal).ToArray(), names);
        }

        foreach (SafeTensorInfo t in file.Tensors)
        {
            Assert.Equal(t.ByteLength, file.Bytes(t.Name).Length);
        }

        return true;
    }

    private static bool InName(int position)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(Valid);
        string header = Encoding.UTF8.GetString(Valid, 8, (int)headerLength);
        foreach (string name in Names)
        {
            int at = header.IndexOf("\"" + name + "\":", StringComparison.Ordinal);
            Assert.True(at >= 0);
            int start = 8 + at + 1; // header is ASCII, so char index == byte index
            if (position >= start && position < start + name.Length)
            {
                return true;
            }
        }

        return false;
    }

    private static byte[] BuildValid()
    {
        var writer = new SafeTensorWriter();
        writer.Metadata["format"] = "pt";
        writer.Add("layer.weight", [1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        writer.Add("layer.bias", [0.5, -0.25], [2]);
        writer.Add("step", [7f], []);
        writer.Add("half.scale", SafeTensorDtype.BF16, [2], TestFiles.UInt16s(0x3F80, 0xC020));
        writer.Add("empty", Array.Empty<float>(), [0, 3]);
        return writer.ToBytes();
    }
}
