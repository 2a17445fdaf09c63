using System.Text;
using DeepPcr.Cli;
using DeepPcr.Cli.Commands;
using DeepPcr.Cli.Files;
using DeepPcr.Models.Mlp;
using DeepPcr.SafeTensors;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>Model files and `deeppcr run` on real files in a temporary folder.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("deeppcr-run").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void ModelFilesRoundTrip(ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(5, 3, 0.9, Activation.Gelu, dtype, seed: 1);
        MlpModelFile.Save(chain, PathOf("m.safetensors"));
        var file = SafeTensorFile.Read(PathOf("m.safetensors"));
        Assert.Equal(dtype == ScalarType.Float32 ? SafeTensorDtype.F32 : SafeTensorDtype.F64, file.Get("layers.4.bias").Dtype);
        Assert.Equal("gelu", file.Metadata["activation"]);
        var loaded = MlpModelFile.Load(PathOf("m.safetensors"), dtype);
        Assert.Equal(Activation.Gelu, loaded.Activation);
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(loaded.Weights, chain.Weights));
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(loaded.Biases, chain.Biases));
    }

    /// <summary>
    /// One rank's layers: <see cref="MlpModelFile.Check"/> judges the whole file from its header, and
    /// <see cref="MlpModelFile.ReadLayers"/> reads only the layers asked for: a NaN in layer 5 of a file opened header
    /// only stops the reads that include layer 5 and no other; the layers read equal the whole model's rows exactly.
    /// </summary>
    [Fact]
    public void ReadLayersReadsOnlyTheLayersAskedFor()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(8, 3, 0.9, Activation.Tanh, ScalarType.Float64, seed: 2);
        chain.Biases[5][1] = double.NaN;
        MlpModelFile.Save(chain, PathOf("nan.safetensors"));
        var file = SafeTensorFile.OpenHeader(PathOf("nan.safetensors"));
        Assert.Equal((8, 3L, Activation.Tanh), MlpModelFile.Check(file));
        var first = MlpModelFile.ReadLayers(file, ScalarType.Float64, 0, 5);
        var last = MlpModelFile.ReadLayers(file, ScalarType.Float32, 6, 2);
        Assert.Equal(5, first.Length);
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(first.Weights, chain.Weights.narrow(0, 0, 5)));
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(last.Biases.to_type(ScalarType.Float64), chain.Biases.narrow(0, 6, 2).to_type(ScalarType.Float32).to_type(ScalarType.Float64)));
        var e = Assert.Throws<InvalidDataException>(() => MlpModelFile.ReadLayers(file, ScalarType.Float64, 4, 2));
        Assert.Contains("layers.5.bias", e.Message);
        Assert.Contains("non-finite", e.Message);
    }

    /// <summary>A file as another program (PyTorch's safetensors) writes it: header by hand, "format": "pt", space padding.</summary>
    private static byte[] ForeignFile(IReadOnlyList<(string Name, long[] Shape, float[] Data)> tensors, string activation)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"activation\":\"" + activation + "\",\"format\":\"pt\"}");
        long offset = 0;
        foreach (var (name, shape, data) in tensors)
        {
            long end = offset + data.Length * 4;
            header.Append($",\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{end}]}}");
            offset = end;
        }
        header.Append('}');
        while (header.Length % 8 != 0) header.Append(' ');
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(Encoding.UTF8.GetBytes(header.ToString()));
        foreach (var t in tensors) foreach (float v in t.Data) bytes.AddRange(BitConverter.GetBytes(v));
        return bytes.ToArray();
    }

    private (MlpChain Chain, Tensor Input, Tensor Cotangent) WriteForeignFiles(int layers, int width, int batch)
    {
        var chain = MlpChain.Random(layers, width, 0.9, Activation.Tanh, ScalarType.Float32, seed: 2);
        var model = new List<(string, long[], float[])>();
        for (int i = 0; i < layers; i++)
        {
            model.Add(($"layers.{i}.weight", new long[] { width, width }, chain.Weights[i].data<float>().ToArray()));
            model.Add(($"layers.{i}.bias", new long[] { width }, chain.Biases[i].data<float>().ToArray()));
        }
        File.WriteAllBytes(PathOf("model.safetensors"), ForeignFile(model, "tanh"));
        var input = torch.randn(new long[] { batch, width }, generator: new Generator(3));
        var cotangent = torch.randn(new long[] { batch, width }, generator: new Generator(4));
        File.WriteAllBytes(PathOf("x.safetensors"), ForeignFile(new[] { ("input", new long[] { batch, width }, input.data<float>().ToArray()) }, "none"));
        File.WriteAllBytes(PathOf("g.safetensors"), ForeignFile(new[] { ("cotangent", new long[] { batch, width }, cotangent.data<float>().ToArray()) }, "none"));
        return (chain, input, cotangent);
    }

    [Fact]
    public void RunsAModelWrittenByAnotherProgram()
    {
        using var scope = torch.NewDisposeScope();
        var (chain, input, cotangent) = WriteForeignFiles(layers: 40, width: 3, batch: 2);
        var report = RunCommand.Run(PathOf("model.safetensors"), PathOf("x.safetensors"), PathOf("out.safetensors"), "deeppcr", PathOf("g.safetensors"));
        Assert.Equal("deeppcr", (string?)report["method"]);
        Assert.Equal("converged", (string?)report["termination"]);
        Assert.Equal(6, (int)report["pcr_rounds"]!);

        var outFile = SafeTensorFile.Read(PathOf("out.safetensors"));
        var expected = SequentialPass.Run(chain, input)[39];
        Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(outFile.ReadFloat32("output")).reshape(2, 3), expected), 0.0, 1e-5);

        RunCommand.Run(PathOf("model.safetensors"), PathOf("x.safetensors"), PathOf("ref.safetensors"), "sequential", PathOf("g.safetensors"));
        var refFile = SafeTensorFile.Read(PathOf("ref.safetensors"));
        foreach (string name in new[] { "grad.input", "grad.layers.0.weight", "grad.layers.39.bias", "grad.layers.17.weight" })
        {
            var a = outFile.ReadFloat32(name);
            var b = refFile.ReadFloat32(name);
            double scale = b.Max(Math.Abs) + 1e-30;
            Assert.InRange(a.Zip(b, (p, q) => Math.Abs(p - q)).Max() / scale, 0.0, 1e-4);
        }
    }

    public static TheoryData<string, string[]> BadInputs() => new()
    {
        { "missing model", new[] { "--model", "nope.safetensors" } },
        { "truncated model", new[] { "--model", "truncated.safetensors" } },
        { "no input tensor", new[] { "--input", "g.safetensors" } },
        { "width mismatch", new[] { "--input", "wide.safetensors" } },
        { "non-finite input", new[] { "--input", "nan.safetensors" } },
        { "cotangent shape", new[] { "--cotangent", "wide.safetensors" } },
        { "unknown solver", new[] { "--solver", "magic" } },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputExitsWithCode2AndLeavesNoOutput(string _, string[] overrides)
    {
        using var scope = torch.NewDisposeScope();
        WriteForeignFiles(layers: 4, width: 3, batch: 2);
        byte[] model = File.ReadAllBytes(PathOf("model.safetensors"));
        File.WriteAllBytes(PathOf("truncated.safetensors"), model.Take(model.Length - 5).ToArray());
        File.WriteAllBytes(PathOf("wide.safetensors"), ForeignFile(new[] { ("input", new long[] { 2, 4 }, new float[8]), ("cotangent", new long[] { 2, 4 }, new float[8]) }, "none"));
        File.WriteAllBytes(PathOf("nan.safetensors"), ForeignFile(new[] { ("input", new long[] { 2, 3 }, new[] { 0f, 1f, float.NaN, 0f, 0f, 0f }) }, "none"));
        var options = new Dictionary<string, string>
        {
            ["--model"] = "model.safetensors", ["--input"] = "x.safetensors", ["--output"] = "out.safetensors",
            ["--cotangent"] = "g.safetensors", ["--solver"] = "deeppcr",
        };
        for (int i = 0; i < overrides.Length; i += 2) options[overrides[i]] = overrides[i + 1];
        var args = new List<string> { "run" };
        foreach (var (key, value) in options) args.AddRange(new[] { key, key == "--solver" ? value : PathOf(value) });
        Assert.Equal(2, Program.Main(args.ToArray()));
        Assert.False(File.Exists(PathOf("out.safetensors")));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp*"));
    }
}
