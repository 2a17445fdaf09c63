namespace DeepPcr.SafeTensors.Tests;

public class PyTorchCompatibilityTests
{
    /// <summary>
    /// The bytes PyTorch's safetensors writes for
    /// save_file({"layer.weight": [[1,2,3],[4,5,6]] (f32), "layer.bias": [0.5,-1.5] (f32), "step": 3.0 (f64 scalar)}, metadata={"format": "pt"}):
    /// compact JSON, metadata first, tensors ordered by dtype size then name, header space-padded to 8 bytes.
    /// </summary>
    [Fact]
    public void HandBuiltPyTorchFileLoads()
    {
        const string header =
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"step\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}," +
            "\"layer.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}," +
            "\"layer.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[16,40]}}";
        byte[] data = [.. TestFiles.Doubles(3.0), .. TestFiles.Floats(0.5f, -1.5f), .. TestFiles.Floats(1, 2, 3, 4, 5, 6)];
        byte[] bytes = TestFiles.Build(header, data);
        Assert.NotEqual(0, System.Text.Encoding.UTF8.GetByteCount(header) % 8); // so the padding is exercised
        Assert.Equal((byte)' ', bytes[8 + System.Text.Encoding.UTF8.GetByteCount(header)]);

        SafeTensorFile file = SafeTensorFile.Read(bytes);

        Assert.Equal("pt", Assert.Single(file.Metadata).Value);
        Assert.Equal(["step", "layer.bias", "layer.weight"], file.Tensors.Select(t => t.Name).ToArray());
        Assert.Equal([3.0], file.ReadFloat64("step"));
        Assert.Equal([0.5f, -1.5f], file.ReadFloat32("layer.bias"));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], file.ReadFloat32("layer.weight"));
        Assert.Equal([2L, 3L], file.Get("layer.weight").Shape);
        Assert.Equal(new SafeTensorInfo("layer.weight", SafeTensorDtype.F32, file.Get("layer.weight").Shape, 16, 40), file.Get("layer.weight"));
        Assert.Equal([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], file.ReadAsFloat64("layer.weight"));
    }

    [Fact]
    public void HeaderWithoutPaddingOrMetadataAndWithWhitespaceLoads()
    {
        const string header = "{ \"x\" : { \"data_offsets\" : [0, 4], \"shape\" : [1], \"dtype\" : \"F32\" } }";
        SafeTensorFile file = SafeTensorFile.Read(TestFiles.Build(header, TestFiles.Floats(9f), pad: false));
        Assert.Equal([9f], file.ReadFloat32("x"));
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void TensorsAreListedInOffsetOrderNotHeaderOrder()
    {
        const string header =
            "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}," +
            "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        SafeTensorFile file = SafeTensorFile.Read(TestFiles.Build(header, TestFiles.Floats(1f, 2f)));
        Assert.Equal(["a", "b", "z"], file.Tensors.Select(t => t.Name).ToArray());
        Assert.Equal([2f], file.ReadFloat32("b"));
    }
}
