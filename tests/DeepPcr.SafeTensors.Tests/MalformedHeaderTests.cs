using System.Buffers.Binary;
using System.Text;

namespace DeepPcr.SafeTensors.Tests;

public class MalformedHeaderTests
{
    private const string A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    /// <summary>Case name, file bytes, and a word the error message must contain.</summary>
    public static TheoryData<string, byte[], string> Cases()
    {
        byte[] eight = TestFiles.Floats(1f, 2f);
        var data = new TheoryData<string, byte[], string>
        {
            { "empty file", [], "short" },
            { "seven bytes", new byte[7], "short" },
            { "header length beyond file", Prefix(100, 10), "header length" },
            { "header length absurd", Prefix(1UL << 40, 16), "large" },
            { "header length max", Prefix(ulong.MaxValue, 16), "large" },
            { "header length just over limit", Prefix(100_000_001, 16), "large" },
            { "invalid UTF-8", Raw([(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}']), "UTF-8" },
            { "empty header", TestFiles.Build("", []), "JSON" },
            { "truncated JSON", TestFiles.Build("{\"a\":", []), "JSON" },
            { "trailing garbage", TestFiles.Build("{} x", []), "JSON" },
            { "trailing NUL padding", TestFiles.Build("{}\0\0\0\0\0\0", [], pad: false), "JSON" },
            { "comment", TestFiles.Build("{/* c */}", []), "JSON" },
            { "trailing comma", TestFiles.Build("{" + A + ",}", eight), "JSON" },
            { "header is array", TestFiles.Build("[1,2]", []), "object" },
            { "header is string", TestFiles.Build("\"hi\"", []), "object" },
            { "entry not object", TestFiles.Build("{\"a\":[0,8]}", eight), "object" },
            { "lacks dtype", Header("\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}", eight), "dtype" },
            { "lacks shape", Header("\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}", eight), "shape" },
            { "lacks data_offsets", Header("\"a\":{\"dtype\":\"F32\",\"shape\":[2]}", eight), "data_offsets" },
            { "unknown dtype", Entry("\"F8\"", "[2]", "[0,8]", eight), "dtype" },
            { "lowercase dtype", Entry("\"f32\"", "[2]", "[0,8]", eight), "dtype" },
            { "dtype not string", Entry("4", "[2]", "[0,8]", eight), "dtype" },
            { "shape not array", Entry("\"F32\"", "2", "[0,8]", eight), "shape" },
            { "shape fractional", Entry("\"F32\"", "[1.5]", "[0,8]", eight), "shape" },
            { "shape 2.0", Entry("\"F32\"", "[2.0]", "[0,8]", eight), "shape" },
            { "shape exponent", Entry("\"F32\"", "[2e0]", "[0,8]", eight), "shape" },
            { "shape negative", Entry("\"F32\"", "[-2]", "[0,8]", eight), "shape" },
            { "shape string", Entry("\"F32\"", "[\"2\"]", "[0,8]", eight), "shape" },
            { "shape huge", Entry("\"F32\"", "[99999999999999999999]", "[0,8]", eight), "shape" },
            { "offsets three", Entry("\"F32\"", "[2]", "[0,8,8]", eight), "data_offsets" },
            { "offsets one", Entry("\"F32\"", "[2]", "[8]", eight), "data_offsets" },
            { "offsets negative", Entry("\"F32\"", "[2]", "[-8,0]", eight), "data_offsets" },
            { "offsets fractional", Entry("\"F32\"", "[2]", "[0,8.5]", eight), "data_offsets" },
            { "offsets not array", Entry("\"F32\"", "[2]", "{}", eight), "data_offsets" },
            { "offsets strings", Entry("\"F32\"", "[2]", "[\"0\",\"8\"]", eight), "data_offsets" },
            { "begin after end", Entry("\"F32\"", "[2]", "[8,0]", eight), "greater" },
            { "size mismatch", Entry("\"F32\"", "[3]", "[0,8]", eight), "size" },
            { "size mismatch dtype", Entry("\"F64\"", "[2]", "[0,8]", eight), "size" },
            { "size overflow", Entry("\"F32\"", "[4294967296,4294967296,4]", "[0,8]", eight), "overflow" },
            { "outside buffer", Entry("\"F32\"", "[4]", "[0,16]", eight), "outside" },
            {
                "overlap",
                Header("\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}", new byte[12]),
                "overlap"
            },
            {
                "identical ranges",
                Header("\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}", new byte[4]),
                "overlap"
            },
            {
                "empty tensor inside another",
                Header("\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}", eight),
                "overlap"
            },
            {
                "gap between",
                Header("\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}", new byte[12]),
                "gap"
            },
            { "gap at start", Entry("\"F32\"", "[1]", "[4,8]", eight), "gap" },
            { "trailing bytes", Entry("\"F32\"", "[1]", "[0,4]", eight), "trailing" },
            { "data without tensors", TestFiles.Build("{}", new byte[4]), "trailing" },
            { "metadata string", Header("\"__metadata__\":\"pt\"," + A, eight), "__metadata__" },
            { "metadata null", Header("\"__metadata__\":null," + A, eight), "__metadata__" },
            { "metadata number value", Header("\"__metadata__\":{\"format\":1}," + A, eight), "string" },
            { "metadata nested", Header("\"__metadata__\":{\"format\":{}}," + A, eight), "string" },
            { "duplicate tensor", Header(A + "," + A, eight), "duplicate" },
            { "duplicate tensor escaped", Header(A + "," + A.Replace("\"a\"", "\"\\u0061\""), eight), "duplicate" },
            { "duplicate field", Header("\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", eight), "duplicate" },
            { "duplicate metadata key", Header("\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}," + A, eight), "duplicate" },
            { "duplicate metadata", Header("\"__metadata__\":{},\"__metadata__\":{}," + A, eight), "duplicate" },
            { "empty tensor name", Header(A.Replace("\"a\"", "\"\""), eight), "name" },
            { "unknown field", Header("\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}", eight), "field" },
            { "lone surrogate name", Header(A.Replace("\"a\"", "\"\\ud800\""), eight), "valid" },
            { "deep nesting", TestFiles.Build("{\"__metadata__\":" + new string('[', 100) + new string(']', 100) + "}", []), "JSON" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MalformedFileIsRejectedWithANamedProblem(string label, byte[] file, string word)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorFile.Read(file, "bad.safetensors"));
        Assert.True(e.Message.Contains(word, StringComparison.OrdinalIgnoreCase), $"{label}: message lacks '{word}': {e.Message}");
        Assert.StartsWith("bad.safetensors: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.IsAssignableFrom<IOException>(e);
    }

    [Theory]
    [InlineData("lacks dtype", "\"weird.name\":{\"shape\":[2],\"data_offsets\":[0,8]}")]
    [InlineData("size mismatch", "\"weird.name\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}")]
    [InlineData("unknown dtype", "\"weird.name\":{\"dtype\":\"U32\",\"shape\":[2],\"data_offsets\":[0,8]}")]
    [InlineData("trailing bytes", "\"weird.name\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}")]
    public void TensorProblemsNameTheTensor(string label, string entry)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorFile.Read(Header(entry, new byte[8])));
        Assert.True(e.Message.Contains("weird.name", StringComparison.Ordinal) || label == "trailing bytes", e.Message);
    }

    [Fact]
    public void ControlCharactersInNamesKeepTheMessageOnOneLine()
    {
        var e = Assert.Throws<SafeTensorsFormatException>(
            () => SafeTensorFile.Read(Header("\"a\\nb\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}", new byte[8])));
        Assert.Contains("a\\u000ab", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static byte[] Header(string members, byte[] data) => TestFiles.Build("{" + members + "}", data);

    private static byte[] Entry(string dtype, string shape, string offsets, byte[] data) =>
        Header($"\"a\":{{\"dtype\":{dtype},\"shape\":{shape},\"data_offsets\":{offsets}}}", data);

    private static byte[] Prefix(ulong headerLength, int rest)
    {
        var file = new byte[8 + rest];
        BinaryPrimitives.WriteUInt64LittleEndian(file, headerLength);
        file.AsSpan(8).Fill((byte)' ');
        return file;
    }

    private static byte[] Raw(byte[] header)
    {
        var file = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        return file;
    }
}
