namespace DeepPcr.SafeTensors.Tests;

public sealed class WriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("safetensors-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void SaveWritesAFileThatReadsBackAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        var writer = new SafeTensorWriter();
        writer.Metadata["format"] = "pt";
        writer.Add("w", [1f, 2f], [2]);
        writer.Save(path);

        SafeTensorFile file = SafeTensorFile.Read(path);
        Assert.Equal([1f, 2f], file.ReadFloat32("w"));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(path, file.Source);
        Assert.Equal([path], Directory.GetFiles(_folder));
        Assert.Equal(writer.ToBytes(), File.ReadAllBytes(path));

        var e = Assert.Throws<KeyNotFoundException>(() => file.Get("v"));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void SaveReplacesAnExistingFile()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        File.WriteAllText(path, "old contents");
        var writer = new SafeTensorWriter();
        writer.Add("w", [3.0], []);
        writer.Save(path);
        Assert.Equal([3.0], SafeTensorFile.Read(path).ReadFloat64("w"));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void InvalidAddThrowsBeforeAnythingIsWritten()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        var writer = new SafeTensorWriter();
        writer.Add("w", [1f, 2f], [2]);

        var e = Assert.Throws<ArgumentException>(() => writer.Add("v", [1f, 2f, 3f], [2, 2]));
        Assert.Contains("'v'", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
        Assert.Equal(1, writer.Count);

        writer.Save(path);
        SafeTensorFile file = SafeTensorFile.Read(path);
        Assert.Equal(["w"], file.Tensors.Select(t => t.Name).ToArray());
    }

    [Fact]
    public void FailedSaveKeepsTheOldFileAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        var good = new SafeTensorWriter();
        good.Add("w", [1f], [1]);
        good.Save(path);
        byte[] before = File.ReadAllBytes(path);

        var bad = new SafeTensorWriter();
        bad.Add("w", [2f], [1]);
        bad.Metadata["broken"] = null!;
        Assert.Throws<InvalidOperationException>(() => bad.Save(path));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void SaveIntoAMissingFolderFailsWithoutWriting()
    {
        var writer = new SafeTensorWriter();
        writer.Add("w", [1f], [1]);
        Assert.Throws<DirectoryNotFoundException>(() => writer.Save(Path.Combine(_folder, "missing", "m.safetensors")));
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void InvalidNamesAndShapesAreRejectedNamingTheTensor()
    {
        var writer = new SafeTensorWriter();
        writer.Add("w", [1f], [1]);

        Assert.Contains("'w'", Assert.Throws<ArgumentException>(() => writer.Add("w", [1f], [1])).Message);
        Assert.Contains("'w'", Assert.Throws<ArgumentException>(() => writer.Add("w", [1.0], [1])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => writer.Add("", [1f], [1])).Message);
        Assert.Contains("__metadata__", Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", [1f], [1])).Message);
        Assert.Contains("'neg'", Assert.Throws<ArgumentException>(() => writer.Add("neg", [1f], [-1])).Message);
        Assert.Contains("'f'", Assert.Throws<ArgumentException>(() => writer.Add("f", [1f, 2f], [])).Message);
        Assert.Contains("'d'", Assert.Throws<ArgumentException>(() => writer.Add("d", [1.0], [2])).Message);
        Assert.Contains("'r'", Assert.Throws<ArgumentException>(() => writer.Add("r", SafeTensorDtype.F16, [3], new byte[4])).Message);
        Assert.Contains("'big'", Assert.Throws<ArgumentException>(() => writer.Add("big", [1f], [long.MaxValue, 2])).Message);
        Assert.Contains("'u'", Assert.Throws<ArgumentException>(() => writer.Add("u", (SafeTensorDtype)99, [1], new byte[1])).Message);
        Assert.Throws<ArgumentException>(() => writer.Add("\ud800", [1f], [1]));
        Assert.Throws<ArgumentNullException>(() => writer.Add(null!, [1f], [1]));

        Assert.Equal(1, writer.Count);
        Assert.Equal(["w"], SafeTensorFile.Read(writer.ToBytes()).Tensors.Select(t => t.Name).ToArray());
    }

    [Fact]
    public void AddCopiesItsInputs()
    {
        float[] data = [1f, 2f];
        long[] shape = [2];
        var writer = new SafeTensorWriter();
        writer.Add("w", data, shape);
        data[0] = 99f;
        shape[0] = 1;
        SafeTensorFile file = SafeTensorFile.Read(writer.ToBytes());
        Assert.Equal([1f, 2f], file.ReadFloat32("w"));
        Assert.Equal([2L], file.Get("w").Shape);
    }
}
