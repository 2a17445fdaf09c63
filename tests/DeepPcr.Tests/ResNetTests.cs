using System.IO.Compression;
using System.Text;
using DeepPcr.Autograd;
using DeepPcr.Models.Data;
using DeepPcr.Models.ResNet;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>The ResNet experiment's network and data, in float64 where gradients are compared.</summary>
public class ResNetTests
{
    private static (ResNetClassifier Sequential, ResNetClassifier Parallel) Pair(int depth, int width) =>
        (new ResNetClassifier(64, width, depth, 10, seed: 3, ScalarType.Float64) { Mode = ChainMode.Sequential },
         new ResNetClassifier(64, width, depth, 10, seed: 3, ScalarType.Float64) { Mode = ChainMode.Parallel });

    private static (Tensor X, Tensor Y) Minibatch()
    {
        var data = DigitsLoader.Load();
        var index = torch.arange(0, 32, dtype: ScalarType.Int64);
        return (data.TrainInputs.index_select(0, index).to_type(ScalarType.Float64), data.TrainLabels.index_select(0, index));
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(7, 8)]
    [InlineData(64, 8)]
    public void GradientsOfAllParametersMatchSequential(int depth, int width)
    {
        using var scope = torch.NewDisposeScope();
        var (sequential, parallel) = Pair(depth, width);
        var (x, y) = Minibatch();
        foreach (var model in new[] { sequential, parallel }) torch.nn.functional.cross_entropy(model.call(x), y).backward();
        var a = sequential.parameters().Select(p => p.grad!).ToArray();
        var b = parallel.parameters().Select(p => p.grad!).ToArray();
        Assert.Equal(a.Length, b.Length);
        double delta = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            delta = Math.Max(delta, Recurrences.MaxAbsDiff(a[i], b[i]));
            scale = Math.Max(scale, Recurrences.MaxAbs(a[i]));
        }
        Assert.InRange(delta / scale, 0.0, 1e-8);
        Assert.Equal("deeppcr", parallel.LastSolution!.MethodName);
        Assert.Equal("none", parallel.LastSolution.FallbackName);
        // ResNet training's blocks run on the host engine, forward and backward.
        Assert.Equal(ChainEngine.Host, parallel.LastSolution.Engine);
        Assert.Equal(ChainEngine.Host, parallel.LastBackwardEngine);
    }

    [Fact]
    public void TheSequentialHostBaselineGivesTheSequentialGradients()
    {
        // sequential-host training: the sequential pass forward, the host kernels' adjoint solve backward (no Newton).
        using var scope = torch.NewDisposeScope();
        var (sequential, host) = Pair(16, 8);
        host.Solver = DeepPcr.Solvers.SequentialSolver.Instance;
        var (x, y) = Minibatch();
        foreach (var model in new[] { sequential, host }) torch.nn.functional.cross_entropy(model.call(x), y).backward();
        var a = sequential.parameters().Select(p => p.grad!).ToArray();
        var b = host.parameters().Select(p => p.grad!).ToArray();
        double delta = a.Zip(b).Max(p => Recurrences.MaxAbsDiff(p.First, p.Second)), scale = a.Max(Recurrences.MaxAbs);
        Assert.InRange(delta / scale, 0.0, 1e-8);
        Assert.Equal("sequential", host.LastSolution!.MethodName);
        Assert.Equal(0, host.LastSolution.Iterations);
    }

    [Fact]
    public void OneSgdStepThenThreeAdamStepsGiveTheSameWeights()
    {
        using var scope = torch.NewDisposeScope();
        var (sequential, parallel) = Pair(32, 8);
        var (x, y) = Minibatch();
        foreach (var model in new[] { sequential, parallel })
        {
            var sgd = torch.optim.SGD(model.parameters(), 0.05);
            sgd.zero_grad();
            torch.nn.functional.cross_entropy(model.call(x), y).backward();
            sgd.step();
            var adam = torch.optim.Adam(model.parameters(), 0.01);
            for (int i = 0; i < 3; i++)
            {
                adam.zero_grad();
                torch.nn.functional.cross_entropy(model.call(x), y).backward();
                adam.step();
            }
        }
        var a = sequential.parameters().ToArray();
        var b = parallel.parameters().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.InRange(Recurrences.MaxAbsDiff(a[i], b[i]), 0.0, 1e-8);
        Assert.True(Recurrences.MaxAbsDiff(sequential.Blocks.Weight, new ResNetClassifier(64, 8, 32, 10, seed: 3, ScalarType.Float64).Blocks.Weight) > 1e-6);
    }

    [Fact]
    public void DigitsAreScaledAndSplitStratified()
    {
        var data = DigitsLoader.Load();
        Assert.Equal(1797, data.TrainInputs.shape[0] + data.TestInputs.shape[0]);
        Assert.Equal(64, data.Features);
        Assert.Equal(10, data.Classes);
        Assert.InRange(data.TestInputs.shape[0], 355, 365);
        Assert.Equal(0.0, data.TrainInputs.min().ToDouble());
        Assert.Equal(1.0, data.TrainInputs.max().ToDouble());
        var counts = data.TestLabels.bincount(null, 10).data<long>().ToArray();
        Assert.All(counts, c => Assert.InRange(c, 34, 37)); // about 20% of 174..183 per class
        var again = DigitsLoader.Load();
        Assert.Equal(data.TestLabels.data<long>().ToArray(), again.TestLabels.data<long>().ToArray());
    }

    [Theory]
    [InlineData("1,2,3\n", "columns")]
    [InlineData("0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,17,3\n", "0..16")]
    [InlineData("0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,x\n", "0..9")]
    [InlineData("", "no rows")]
    public void MalformedDigitsCsvIsNamed(string csv, string word)
    {
        var stream = new MemoryStream();
        using (var gz = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(Encoding.ASCII.GetBytes(csv));
        stream.Position = 0;
        Assert.Contains(word, Assert.Throws<InvalidDataException>(() => DigitsLoader.Parse(stream, "test.csv.gz")).Message);
    }

    [Fact]
    public void NotGzipIsNamed() =>
        Assert.Contains("gzip", Assert.Throws<InvalidDataException>(() => DigitsLoader.Parse(new MemoryStream(Encoding.ASCII.GetBytes("plain text")), "x")).Message);

    private static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var bytes = new List<byte>();
        void Int(int v) => bytes.AddRange(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
        Int(magic);
        foreach (int d in dims) Int(d);
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    [Fact]
    public void MnistIdxFilesLoadAndMalformedOnesAreNamed()
    {
        string folder = Directory.CreateTempSubdirectory("deeppcr-mnist").FullName;
        try
        {
            var pixels = Enumerable.Range(0, 5 * 4 * 4).Select(i => (byte)(i * 3)).ToArray();
            File.WriteAllBytes(Path.Combine(folder, "train-images-idx3-ubyte"), Idx(0x803, new[] { 5, 4, 4 }, pixels));
            File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), Idx(0x801, new[] { 5 }, new byte[] { 0, 1, 2, 1, 0 }));
            using (var gz = new GZipStream(File.Create(Path.Combine(folder, "t10k-images-idx3-ubyte.gz")), CompressionLevel.Fastest))
                gz.Write(Idx(0x803, new[] { 2, 4, 4 }, pixels.Take(32).ToArray()));
            File.WriteAllBytes(Path.Combine(folder, "t10k-labels-idx1-ubyte"), Idx(0x801, new[] { 2 }, new byte[] { 2, 0 }));
            var data = MnistIdxReader.Load(folder);
            Assert.Equal(new long[] { 5, 16 }, data.TrainInputs.shape);
            Assert.Equal(new long[] { 2, 16 }, data.TestInputs.shape);
            Assert.Equal(3, data.Classes);
            Assert.Equal(3 / 255.0, data.TrainInputs[0, 1].ToDouble(), 6);

            File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), Idx(0x801, new[] { 4 }, new byte[] { 0, 1, 2, 1 }));
            Assert.Contains("5 images but 4 labels", Assert.Throws<InvalidDataException>(() => MnistIdxReader.Load(folder)).Message);
            File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), Idx(0x803, new[] { 5 }, new byte[5]));
            Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => MnistIdxReader.Load(folder)).Message);
            File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), Idx(0x801, new[] { 9 }, new byte[5]));
            Assert.Contains("promises 9", Assert.Throws<InvalidDataException>(() => MnistIdxReader.Load(folder)).Message);
            File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), new byte[3]);
            Assert.Contains("shorter", Assert.Throws<InvalidDataException>(() => MnistIdxReader.Load(folder)).Message);
            File.Delete(Path.Combine(folder, "train-labels-idx1-ubyte"));
            Assert.Contains("missing", Assert.Throws<FileNotFoundException>(() => MnistIdxReader.Load(folder)).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
