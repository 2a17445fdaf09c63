namespace DeepPcr.SafeTensors.Tests;

/// <summary>
/// <see cref="SafeTensorFile.OpenHeader"/>: the same validated header as reading the whole file, each tensor read from
/// the file when asked for (so a tensor's bytes changed on disk after the header was read are the ones returned), and
/// a file shorter than its header says refused when it is opened.
/// </summary>
public class HeaderOnlyTests
{
    [Fact]
    public void TheHeaderIsReadAtOnceAndEachTensorWhenAskedFor()
    {
        string path = Path.Combine(Path.GetTempPath(), $"header-only-{Guid.NewGuid():N}.safetensors");
        try
        {
            var writer = new SafeTensorWriter();
            writer.Metadata["activation"] = "tanh";
            writer.Add("a", [1.0, 2.0, 3.0], [3]);
            writer.Add("b", [4f, 5f], [2, 1]);
            writer.Save(path);
            var whole = SafeTensorFile.Read(path);
            var header = SafeTensorFile.OpenHeader(path);
            Assert.Equal(whole.Tensors.Select(t => (t.Name, t.Dtype, string.Join(",", t.Shape), t.Begin)), header.Tensors.Select(t => (t.Name, t.Dtype, string.Join(",", t.Shape), t.Begin)));
            Assert.Equal("tanh", header.Metadata["activation"]);
            Assert.Equal(whole.ReadFloat32("b"), header.ReadFloat32("b"));

            // Rewrite the bytes of 'a' in place: the header-only file reads them now, the one read whole kept the old ones.
            var info = header.Get("a");
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
            {
                stream.Position = stream.Length - header.Get("b").ByteLength - info.ByteLength;
                stream.Write(TestFiles.Doubles(7.0, 8.0, 9.0));
            }
            Assert.Equal(new[] { 7.0, 8.0, 9.0 }, header.ReadFloat64("a"));
            Assert.Equal(new[] { 1.0, 2.0, 3.0 }, whole.ReadFloat64("a"));

            // A file cut short: its header promises more data than there is.
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..^4]);
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensorFile.OpenHeader(path));
            File.WriteAllBytes(path, bytes[..5]);
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensorFile.OpenHeader(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
