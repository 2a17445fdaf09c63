using System.Buffers.Binary;

namespace DeepPcr.SafeTensors.Tests;

public class RoundTripTests
{
    [Fact]
    public void Float32AndFloat64TensorsOfSeveralShapesRoundTrip()
    {
        float[] matrix = [1.5f, -2f, 3.25f, float.MaxValue, float.Epsilon, -0f];
        float[] cube = Enumerable.Range(0, 24).Select(i => i * 0.1f).ToArray();
        double[] vector = [Math.PI, -Math.E, 1e-300];
        double[] scalar = [42.0];

        var writer = new SafeTensorWriter();
        writer.Metadata["format"] = "pt";
        writer.Metadata["author"] = "ünïcode ✓";
        writer.Add("matrix", matrix, [2, 3]);
        writer.Add("cube", cube, [2, 3, 4]);
        writer.Add("vector", vector, [3]);
        writer.Add("scalar", scalar, []);
        writer.Add("empty", Array.Empty<float>(), [4, 0, 2]);
        writer.Add("empty64", Array.Empty<double>(), [0]);
        byte[] bytes = writer.ToBytes();

        SafeTensorFile file = SafeTensorFile.Read(bytes);

        Assert.Equal(matrix, file.ReadFloat32("matrix"));
        Assert.Equal(cube, file.ReadFloat32("cube"));
        Assert.Equal(vector, file.ReadFloat64("vector"));
        Assert.Equal(scalar, file.ReadFloat64("scalar"));
        Assert.Empty(file.ReadFloat32("empty"));
        Assert.Empty(file.ReadFloat64("empty64"));

        Assert.Equal([2L, 3L], file.Get("matrix").Shape);
        Assert.Equal([2L, 3L, 4L], file.Get("cube").Shape);
        Assert.Empty(file.Get("scalar").Shape);
        Assert.Equal(1, file.Get("scalar").ElementCount);
        Assert.Equal([4L, 0L, 2L], file.Get("empty").Shape);
        Assert.Equal(0, file.Get("empty").ElementCount);
        Assert.Equal(file.Get("empty").Begin, file.Get("empty").End);
        Assert.Equal(SafeTensorDtype.F64, file.Get("vector").Dtype);

        Assert.Equal(2, file.Metadata.Count);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("ünïcode ✓", file.Metadata["author"]);

        Assert.Equal(["matrix", "cube", "vector", "scalar", "empty", "empty64"], file.Tensors.Select(t => t.Name).ToArray());
        Assert.True(file.Tensors.Zip(file.Tensors.Skip(1)).All(p => p.First.End <= p.Second.Begin));

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        Assert.Equal(8 + (long)headerLength + file.Tensors.Sum(t => t.ByteLength), bytes.Length);
    }

    [Fact]
    public void FileWithNoTensorsRoundTrips()
    {
        var writer = new SafeTensorWriter();
        SafeTensorFile file = SafeTensorFile.Read(writer.ToBytes());
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void RawBytesOfEveryDtypeRoundTrip()
    {
        var writer = new SafeTensorWriter();
        var expected = new Dictionary<string, byte[]>();
        foreach (SafeTensorDtype dtype in Enum.GetValues<SafeTensorDtype>())
        {
            byte[] data = Enumerable.Range(1, 3 * dtype.ElementSize()).Select(i => (byte)i).ToArray();
            string name = "t_" + dtype.ToHeaderString();
            writer.Add(name, dtype, [3], data);
            expected[name] = data;
        }

        SafeTensorFile file = SafeTensorFile.Read(writer.ToBytes());
        foreach ((string name, byte[] data) in expected)
        {
            Assert.Equal(data, file.Bytes(name).ToArray());
        }

        Assert.Equal(SafeTensorDtype.Bool, file.Get("t_BOOL").Dtype);
    }

    [Fact]
    public void DtypeHelpersAgreeWithTheFormat()
    {
        int[] sizes = [8, 4, 2, 2, 8, 4, 2, 1, 1, 1];
        string[] names = ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"];
        SafeTensorDtype[] all = Enum.GetValues<SafeTensorDtype>();
        Assert.Equal(sizes, all.Select(d => d.ElementSize()).ToArray());
        Assert.Equal(names, all.Select(d => d.ToHeaderString()).ToArray());
        Assert.Equal(all, names.Select(SafeTensorDtypeExtensions.ParseHeaderString).ToArray());
        Assert.False(SafeTensorDtypeExtensions.TryParseHeaderString("f32", out _));
        Assert.False(SafeTensorDtypeExtensions.TryParseHeaderString("Bool", out _));
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorDtypeExtensions.ParseHeaderString("U32"));
    }
}
