using System.Text.Json.Nodes;
using DeepPcr.SafeTensors;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// `deeppcr run` and `deeppcr make-model --cell` on recurrent model files, through <c>Program.Main</c>: files written by
/// the tests' own writer in PyTorch's <c>state_dict()</c> layout, checked against TorchSharp's <c>nn.GRU</c>/<c>nn.LSTM</c>
/// on the same weights (gru, lstm) and against a float64 loop of the equations (gru-diag, lstm-cifg-diag): outputs,
/// h_n, c_n and the gradients of the input, the initial states and every parameter. Tolerances (max |Δ| / max |ref|
/// per tensor): 1e-10 for F64 files, 1e-4 for F32 files (the run computes in the input's dtype).
/// </summary>
public sealed class RecurrentRunCommandTests : IDisposable
{
    private const long Input = 3, Hidden = 4, Batch = 2;
    private readonly TempFolder folder = new("deeppcr-rnn-run");

    public void Dispose() => folder.Dispose();

    /// <summary>(cell, F64, T, layers, bidirectional, bias, initial states).</summary>
    public static TheoryData<string, bool, int, int, bool, bool, bool> Files() => new()
    {
        { "gru", true, 9, 1, false, true, true },
        { "gru", true, 6, 2, true, false, false },
        { "gru", false, 9, 2, false, true, true },
        { "lstm", true, 9, 1, false, true, true },
        { "lstm", true, 5, 2, true, true, true },
        { "lstm", false, 7, 1, false, false, false },
        { "gru-diag", true, 9, 2, false, true, true },
        { "gru-diag", false, 5, 1, true, true, false },
        { "lstm-cifg-diag", true, 9, 1, true, true, true },
        { "lstm-cifg-diag", true, 1, 2, false, false, true },
        { "lstm-cifg-diag", false, 8, 2, false, true, false },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void RunMatchesTheReferenceOnPyTorchsLayout(string cell, bool f64, int length, int layers, bool bidirectional, bool bias, bool initial)
    {
        using var scope = torch.NewDisposeScope();
        bool lstm = cell.StartsWith("lstm", StringComparison.Ordinal);
        int directions = bidirectional ? 2 : 1;
        var parameters = Parameters(cell, layers, bidirectional, bias, seed: 100 + length);
        var x = Round(torch.randn(new[] { Batch, length, Input }, dtype: ScalarType.Float64, generator: new Generator(1)), f64);
        var h0 = initial ? Round(torch.randn(new[] { layers * directions, Batch, Hidden }, dtype: ScalarType.Float64, generator: new Generator(2)), f64) : null;
        var c0 = initial && lstm ? Round(torch.randn(new[] { layers * directions, Batch, Hidden }, dtype: ScalarType.Float64, generator: new Generator(3)), f64) : null;
        var g = Round(torch.randn(new[] { Batch, length, directions * Hidden }, dtype: ScalarType.Float64, generator: new Generator(4)), f64);
        parameters = parameters.ToDictionary(p => p.Key, p => Round(p.Value, f64));
        WriteFiles(cell, parameters, x, h0, c0, g, f64);

        var run = Run("--json");
        Assert.True(run.Code == 0, run.Error);
        var report = JsonNode.Parse(run.Out)!.AsObject();
        Assert.Equal(cell, (string?)report["cell"]);
        Assert.Equal("deeppcr", (string?)report["method"]);
        Assert.Equal("converged", (string?)report["termination"]);
        Assert.Equal("none", (string?)report["fallback"]);
        if (layers * directions > 1) Assert.Equal(layers * directions, report["layers"]!.AsArray().Count);
        else Assert.Null(report["layers"]);

        var expected = Reference(cell, parameters, layers, bidirectional, x, h0, c0, g);
        var file = SafeTensorFile.Read(folder.PathOf("out.safetensors"));
        Assert.All(file.Tensors, t => Assert.Equal(f64 ? SafeTensorDtype.F64 : SafeTensorDtype.F32, t.Dtype));
        Assert.Equal(expected.Keys.Order(), file.Tensors.Select(t => t.Name).Order());
        var actual = RecurrentFiles.Read(folder.PathOf("out.safetensors"));
        foreach (var (name, value) in expected) AssertClose(name, actual[name], value, f64 ? 1e-10 : 1e-4);
    }

    [Theory]
    [InlineData("sequential", "sequential")]
    [InlineData("elk", "elk")]
    [InlineData("quasi-newton-diagonal", "quasi-newton-diagonal")]
    [InlineData("deeppcr-chunked", "deeppcr-chunked")]
    [InlineData("auto", null)]
    public void EveryRegistrySolverGivesTheSameAnswer(string solver, string? method)
    {
        using var scope = torch.NewDisposeScope();
        var parameters = Parameters("gru", 2, false, true, seed: 7);
        var x = torch.randn(new[] { Batch, 20L, Input }, dtype: ScalarType.Float64, generator: new Generator(8));
        var g = torch.randn(new[] { Batch, 20L, Hidden }, dtype: ScalarType.Float64, generator: new Generator(9));
        WriteFiles("gru", parameters, x, null, null, g, f64: true);
        var run = Run("--json", "--solver", solver);
        Assert.True(run.Code == 0, run.Error);
        var report = JsonNode.Parse(run.Out)!.AsObject();
        if (method is not null) Assert.Equal(method, (string?)report["method"]);
        Assert.Equal("none", (string?)report["fallback"]);
        var expected = Reference("gru", parameters, 2, false, x, null, null, g);
        var actual = RecurrentFiles.Read(folder.PathOf("out.safetensors"));
        foreach (var (name, value) in expected) AssertClose($"{solver} {name}", actual[name], value, 1e-9);
    }

    /// <summary>(what is wrong, a phrase the one-line error must hold).</summary>
    public static TheoryData<string, string> BadFiles() => new()
    {
        { "unknown cell", "unknown cell 'rnn-tanh'" },
        { "missing weight_hh_l0", "'weight_hh_l0' is missing" },
        { "dense weight_hh for gru-diag", "[12] was expected for the cell gru-diag" },
        { "extra model tensor", "unexpected tensor(s) weight_ih_l0_extra" },
        { "missing bias_hh_l0", "'bias_hh_l0' is missing" },
        { "input width", "has width 4 but" },
        { "input rank", "[B, T, I]" },
        { "h0 shape", "'h0' has shape [2, 2, 4] but [1, 2, 4]" },
        { "c0 for a gru", "unexpected tensor(s) c0" },
        { "unexpected input tensor", "unexpected tensor(s) h_0" },
        { "h0 dtype", "'h0' is Float32 but 'input' is Float64" },
        { "cotangent shape", "'cotangent' has shape [2, 6, 5] but [2, 6, 4]" },
        { "non-finite weight", "'bias_ih_l0' holds non-finite values" },
        { "unknown solver", "unknown solver 'magic'" },
        { "missing input tensor", "'input' [B, T, I] is missing" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadFilesExitWithCode2AndLeaveNoOutput(string bad, string message)
    {
        using var scope = torch.NewDisposeScope();
        string cell = bad == "dense weight_hh for gru-diag" ? "gru-diag" : "gru";
        var parameters = Parameters(cell, 1, false, true, seed: 5);
        var x = torch.randn(new[] { Batch, 6L, Input }, dtype: ScalarType.Float64, generator: new Generator(6));
        var h0 = torch.zeros(1, Batch, Hidden, dtype: ScalarType.Float64);
        var g = torch.zeros(Batch, 6, Hidden, dtype: ScalarType.Float64);
        var model = parameters.ToDictionary(p => p.Key, p => p.Value);
        var inputs = new Dictionary<string, Tensor> { ["input"] = x, ["h0"] = h0 };
        string solver = "deeppcr";
        var metadata = new Dictionary<string, string> { ["cell"] = cell };
        switch (bad)
        {
            case "unknown cell": metadata["cell"] = "rnn-tanh"; break;
            case "missing weight_hh_l0": model.Remove("weight_hh_l0"); break;
            case "dense weight_hh for gru-diag": model["weight_hh_l0"] = torch.zeros(3 * Hidden, Hidden, dtype: ScalarType.Float64); break;
            case "extra model tensor": model["weight_ih_l0_extra"] = torch.zeros(2, dtype: ScalarType.Float64); break;
            case "missing bias_hh_l0": model.Remove("bias_hh_l0"); break;
            case "input width": inputs["input"] = torch.zeros(Batch, 6, Input + 1, dtype: ScalarType.Float64); break;
            case "input rank": inputs["input"] = torch.zeros(6, Input, dtype: ScalarType.Float64); break;
            case "h0 shape": inputs["h0"] = torch.zeros(2, Batch, Hidden, dtype: ScalarType.Float64); break;
            case "c0 for a gru": inputs["c0"] = torch.zeros(1, Batch, Hidden, dtype: ScalarType.Float64); break;
            case "unexpected input tensor": inputs["h_0"] = h0; break;
            case "h0 dtype": inputs["h0"] = h0.to_type(ScalarType.Float32); break;
            case "cotangent shape": g = torch.zeros(Batch, 6, Hidden + 1, dtype: ScalarType.Float64); break;
            case "non-finite weight": model["bias_ih_l0"] = torch.full(3 * Hidden, double.NaN, dtype: ScalarType.Float64); break;
            case "unknown solver": solver = "magic"; break;
            case "missing input tensor": inputs.Remove("input"); break;
        }
        RecurrentFiles.WriteAsPyTorch(folder.PathOf("model.safetensors"), model.Select(p => (p.Key, p.Value)), metadata, f32: false);
        WriteMixed(folder.PathOf("x.safetensors"), inputs);
        RecurrentFiles.WriteAsPyTorch(folder.PathOf("g.safetensors"), new[] { ("cotangent", g) }, new Dictionary<string, string>(), f32: false);
        var run = Run("--solver", solver);
        Assert.True(run.Code == 2, $"{bad}: exit {run.Code}: {run.Error}");
        Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", run.ErrorLines[0]);
        Assert.Contains(message, run.ErrorLines[0]);
        Assert.False(File.Exists(folder.PathOf("out.safetensors")));
        Assert.Empty(Directory.GetFiles(folder.Root, "*.tmp*"));
    }

    [Theory]
    [InlineData("gru", false, false)]
    [InlineData("lstm", true, true)]
    [InlineData("gru-diag", true, false)]
    [InlineData("lstm-cifg-diag", false, true)]
    public void MakeModelWritesFilesThatRun(string cell, bool bidirectional, bool initial)
    {
        using var scope = torch.NewDisposeScope();
        var args = new List<string> { "make-model", "--cell", cell, "--hidden", "5", "--input-size", "2", "--num-layers", "2", "-T", "12", "--batch", "3",
            "--dtype", "float64", "--seed", "4", "--out", folder.PathOf("m") };
        if (bidirectional) args.Add("--bidirectional");
        if (initial) args.Add("--initial-state");
        var made = CliInvocation.Run(args.ToArray());
        Assert.True(made.Code == 0, made.Error);
        int chains = 2 * (bidirectional ? 2 : 1);
        var input = RecurrentFiles.Read(folder.PathOf("m/input.safetensors"));
        Assert.Equal(new long[] { 3, 12, 2 }, input["input"].shape);
        Assert.Equal(initial, input.ContainsKey("h0"));
        Assert.Equal(initial && cell.StartsWith("lstm", StringComparison.Ordinal), input.ContainsKey("c0"));
        var model = SafeTensorFile.Read(folder.PathOf("m/model.safetensors"));
        Assert.Equal(cell, model.Metadata["cell"]);
        Assert.Equal(cell.EndsWith("diag", StringComparison.Ordinal) ? new[] { 15L } : new[] { (cell == "lstm" ? 20L : 15L), 5L }, model.Get("weight_hh_l1").Shape);
        double bound = 1 / Math.Sqrt(5);
        Assert.All(model.Tensors, t => Assert.InRange(model.ReadAsFloat64(t.Name).Max(Math.Abs), 0.5 * bound, bound));

        string[] Files(string output, string solver) => new[] { "run", "--model", folder.PathOf("m/model.safetensors"), "--input", folder.PathOf("m/input.safetensors"),
            "--cotangent", folder.PathOf("m/cotangent.safetensors"), "--output", folder.PathOf(output), "--solver", solver };
        var parallel = CliInvocation.Run(Files("p.safetensors", "deeppcr"));
        var sequential = CliInvocation.Run(Files("s.safetensors", "sequential"));
        Assert.True(parallel.Code == 0 && sequential.Code == 0, parallel.Error + sequential.Error);
        var p = RecurrentFiles.Read(folder.PathOf("p.safetensors"));
        var s = RecurrentFiles.Read(folder.PathOf("s.safetensors"));
        Assert.Equal(new long[] { 3, 12, (bidirectional ? 10 : 5) }, p["output"].shape);
        Assert.Equal(new long[] { chains, 3, 5 }, p["h_n"].shape);
        Assert.Equal(new long[] { chains, 3, 5 }, p["grad.h0"].shape);
        Assert.Equal(s.Keys.Order(), p.Keys.Order());
        foreach (var (name, value) in s) AssertClose(name, p[name], value, 1e-10);
    }

    [Fact]
    public void ARunLargerThanTheMemoryLimitIsRefusedBeforeWork()
    {
        var made = CliInvocation.Run("make-model", "--cell", "lstm", "--hidden", "32", "-T", "256", "--batch", "4", "--out", folder.PathOf("m"));
        Assert.True(made.Code == 0, made.Error);
        var run = CliInvocation.Run("run", "--model", folder.PathOf("m/model.safetensors"), "--input", folder.PathOf("m/input.safetensors"),
            "--cotangent", folder.PathOf("m/cotangent.safetensors"), "--output", folder.PathOf("out.safetensors"), "--max-memory", "1M");
        Assert.Equal(2, run.Code);
        Assert.Contains("Jacobians", Assert.Single(run.ErrorLines));
        Assert.False(File.Exists(folder.PathOf("out.safetensors")));
    }

    [Theory]
    [InlineData("--cell", "rnn-tanh")]
    [InlineData("--activation", "relu")]
    [InlineData("--hidden", "4")]
    [InlineData("--hidden", "0")]
    public void MakeModelRefusesBadOptions(string option, string value)
    {
        var args = new List<string> { "make-model", "--out", folder.PathOf("m"), option, value };
        if (option is "--activation" || value == "0") args.AddRange(new[] { "--cell", "gru" });
        var run = CliInvocation.Run(args.ToArray());
        Assert.True(run.Code == 2, run.Error);
        Assert.Single(run.ErrorLines);
        Assert.False(Directory.Exists(folder.PathOf("m")));
    }

    private CliInvocation Run(params string[] extra) => CliInvocation.Run(new[]
    {
        "run", "--model", folder.PathOf("model.safetensors"), "--input", folder.PathOf("x.safetensors"), "--cotangent", folder.PathOf("g.safetensors"),
        "--output", folder.PathOf("out.safetensors"),
    }.Concat(extra).ToArray());

    private void WriteFiles(string cell, IReadOnlyDictionary<string, Tensor> parameters, Tensor x, Tensor? h0, Tensor? c0, Tensor g, bool f64)
    {
        RecurrentFiles.WriteAsPyTorch(folder.PathOf("model.safetensors"), parameters.Select(p => (p.Key, p.Value)), new Dictionary<string, string> { ["cell"] = cell }, !f64);
        var inputs = new List<(string, Tensor)> { ("input", x) };
        if (h0 is not null) inputs.Add(("h0", h0));
        if (c0 is not null) inputs.Add(("c0", c0));
        RecurrentFiles.WriteAsPyTorch(folder.PathOf("x.safetensors"), inputs, new Dictionary<string, string>(), !f64);
        RecurrentFiles.WriteAsPyTorch(folder.PathOf("g.safetensors"), new[] { ("cotangent", g) }, new Dictionary<string, string>(), !f64);
    }

    /// <summary>An input file whose tensors keep their own dtypes (one F32 tensor among F64 ones, for the dtype check).</summary>
    private static void WriteMixed(string path, Dictionary<string, Tensor> tensors)
    {
        var writer = new SafeTensorWriter();
        foreach (var (name, t) in tensors)
        {
            if (t.dtype == ScalarType.Float32) writer.Add(name, t.contiguous().data<float>().ToArray(), t.shape);
            else writer.Add(name, t.contiguous().data<double>().ToArray(), t.shape);
        }
        writer.Save(path);
    }

    /// <summary>The parameters of a cell in PyTorch's order: TorchSharp's own module's for gru and lstm, U(±1/√H) for the diagonal cells.</summary>
    private static Dictionary<string, Tensor> Parameters(string cell, int layers, bool bidirectional, bool bias, int seed)
    {
        torch.manual_seed(seed);
        if (cell == "gru") return nn.GRU(Input, Hidden, layers, bias, true, 0, bidirectional, dtype: ScalarType.Float64).named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        if (cell == "lstm") return nn.LSTM(Input, Hidden, layers, bias, true, 0, bidirectional, dtype: ScalarType.Float64).named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var generator = new Generator((ulong)seed);
        var result = new Dictionary<string, Tensor>();
        int directions = bidirectional ? 2 : 1;
        for (int l = 0; l < layers; l++)
        {
            for (int d = 0; d < directions; d++)
            {
                string s = $"_l{l}" + (d == 1 ? "_reverse" : "");
                Tensor U(params long[] shape) => (torch.rand(shape, dtype: ScalarType.Float64, generator: generator) * 2 - 1) / Math.Sqrt(Hidden);
                result["weight_ih" + s] = U(3 * Hidden, l == 0 ? Input : directions * Hidden);
                result["weight_hh" + s] = U(3 * Hidden);
                if (!bias) continue;
                result["bias_ih" + s] = U(3 * Hidden);
                result["bias_hh" + s] = U(3 * Hidden);
            }
        }
        return result;
    }

    /// <summary>
    /// What the output file must hold, in float64: TorchSharp's nn.GRU/nn.LSTM (batch first) or the diagonal cells'
    /// loop, and the gradients of sum(output ⊙ g) by autograd through them.
    /// </summary>
    private static Dictionary<string, Tensor> Reference(string cell, IReadOnlyDictionary<string, Tensor> parameters, int layers, bool bidirectional,
        Tensor x, Tensor? h0, Tensor? c0, Tensor g)
    {
        bool lstm = cell.StartsWith("lstm", StringComparison.Ordinal);
        int chains = layers * (bidirectional ? 2 : 1);
        var input = x.to_type(ScalarType.Float64).detach().requires_grad_(true);
        var h = (h0 ?? torch.zeros(chains, Batch, Hidden)).to_type(ScalarType.Float64).detach().requires_grad_(true);
        var c = (c0 ?? torch.zeros(chains, Batch, Hidden)).to_type(ScalarType.Float64).detach().requires_grad_(true);
        var weights = parameters.ToDictionary(p => p.Key, p => p.Value.to_type(ScalarType.Float64).detach().requires_grad_(true));
        Tensor y, hn, cn;
        if (cell == "gru" || cell == "lstm")
        {
            bool bias = parameters.ContainsKey("bias_ih_l0");
            nn.Module module = cell == "gru"
                ? nn.GRU(Input, Hidden, layers, bias, true, 0, bidirectional, dtype: ScalarType.Float64)
                : nn.LSTM(Input, Hidden, layers, bias, true, 0, bidirectional, dtype: ScalarType.Float64);
            using (torch.no_grad())
            {
                foreach (var (name, parameter) in module.named_parameters()) parameter.copy_(weights[name]);
            }
            if (module is TorchSharp.Modules.GRU gru)
            {
                (y, hn) = gru.call(input, h);
                cn = null!;
            }
            else
            {
                (y, hn, cn) = ((TorchSharp.Modules.LSTM)module).call(input, (h, c));
            }
            (y * g.to_type(ScalarType.Float64)).sum().backward();
            foreach (var (name, parameter) in module.named_parameters()) weights[name] = parameter;
        }
        else
        {
            (y, hn, cn) = DiagonalCellLoops.Stack(lstm, weights, layers, bidirectional, input.transpose(0, 1), h, lstm ? c : null);
            y = y.transpose(0, 1);
            (y * g.to_type(ScalarType.Float64)).sum().backward();
        }
        var expected = new Dictionary<string, Tensor> { ["output"] = y.detach(), ["h_n"] = hn.detach(), ["grad.input"] = input.grad!, ["grad.h0"] = h.grad! };
        if (lstm)
        {
            expected["c_n"] = cn.detach();
            expected["grad.c0"] = c.grad!;
        }
        foreach (var (name, w) in weights) expected["grad." + name] = w.grad!;
        return expected;
    }

    private static Tensor Round(Tensor t, bool f64) => f64 ? t : t.to_type(ScalarType.Float32).to_type(ScalarType.Float64);

    private static void AssertClose(string what, Tensor actual, Tensor expected, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = Math.Max(Recurrences.MaxAbs(expected), 1e-300);
        double error = Recurrences.MaxAbsDiff(actual, expected) / scale;
        Assert.True(error <= tolerance, $"{what}: max relative error {error:g3} > {tolerance:g1}");
    }
}
