namespace DeepPcr.SafeTensors.Tests;

public class ConversionTests
{
    [Fact]
    public void Float16ConvertsToFloat64()
    {
        // 1.0, -2.5, 0.5, 65504 (largest finite), 2^-24 (smallest subnormal), -0
        ushort[] bits = [0x3C00, 0xC100, 0x3800, 0x7BFF, 0x0001, 0x8000];
        var writer = new SafeTensorWriter();
        writer.Add("h", SafeTensorDtype.F16, [2, 3], TestFiles.UInt16s(bits));
        double[] values = SafeTensorFile.Read(writer.ToBytes()).ReadAsFloat64("h");
        Assert.Equal([1.0, -2.5, 0.5, 65504.0, Math.Pow(2, -24), -0.0], values);
        Assert.True(double.IsNegative(values[5]));
    }

    [Fact]
    public void BFloat16ConvertsToFloat64()
    {
        // 1.0, -2.5, 0.5, 3.140625, +inf
        ushort[] bits = [0x3F80, 0xC020, 0x3F00, 0x4049, 0x7F80];
        var writer = new SafeTensorWriter();
        writer.Add("b", SafeTensorDtype.BF16, [5], TestFiles.UInt16s(bits));
        double[] values = SafeTensorFile.Read(writer.ToBytes()).ReadAsFloat64("b");
        Assert.Equal([1.0, -2.5, 0.5, 3.140625, double.PositiveInfinity], values);
    }

    [Fact]
    public void Float32AndFloat64ConvertToFloat64()
    {
        var writer = new SafeTensorWriter();
        writer.Add("f", [0.1f, -3f], [2]);
        writer.Add("d", [0.1, -3.0], [2]);
        SafeTensorFile file = SafeTensorFile.Read(writer.ToBytes());
        Assert.Equal([(double)0.1f, -3.0], file.ReadAsFloat64("f"));
        Assert.Equal([0.1, -3.0], file.ReadAsFloat64("d"));
    }

    [Fact]
    public void ReadingTheWrongDtypeNamesBothDtypes()
    {
        var writer = new SafeTensorWriter();
        writer.Add("d", [1.0], [1]);
        writer.Add("f", [1f], [1]);
        writer.Add("i", SafeTensorDtype.I32, [1], new byte[4]);
        SafeTensorFile file = SafeTensorFile.Read(writer.ToBytes());

        var e32 = Assert.Throws<SafeTensorsFormatException>(() => file.ReadFloat32("d"));
        Assert.Contains("'d'", e32.Message);
        Assert.Contains("F64", e32.Message);
        Assert.Contains("F32", e32.Message);

        var e64 = Assert.Throws<SafeTensorsFormatException>(() => file.ReadFloat64("f"));
        Assert.Contains("F64", e64.Message);
        Assert.Contains("F32", e64.Message);

        var ei = Assert.Throws<SafeTensorsFormatException>(() => file.ReadAsFloat64("i"));
        Assert.Contains("I32", ei.Message);
    }

    [Fact]
    public void MissingTensorListsWhatTheFileHolds()
    {
        var writer = new SafeTensorWriter();
        writer.Add("alpha", [1f], [1]);
        writer.Add("beta", [1f], [1]);
        SafeTensorFile file = SafeTensorFile.Read(writer.ToBytes(), "model.safetensors");

        Assert.True(file.Contains("alpha"));
        Assert.False(file.Contains("gamma"));
        var e = Assert.Throws<KeyNotFoundException>(() => file.Get("gamma"));
        Assert.Equal("tensor 'gamma' is not in model.safetensors; it holds: alpha, beta", e.Message);
        Assert.Throws<KeyNotFoundException>(() => file.ReadFloat32("gamma"));
    }
}
