using DeepPcr.Backward;
using DeepPcr.Models.Recurrent;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// <see cref="ParallelGru"/> and <see cref="ParallelLstm"/> against TorchSharp's own <c>nn.GRU</c>/<c>nn.LSTM</c> on the
/// same weights, and their diagonal cells against a float64 loop of the equations (<see cref="DiagonalCellLoops"/>):
/// outputs, h_n, c_n and the gradients of the input, the initial states and every parameter, in float64 to 1e-10
/// relative (max |Δ| / max |reference| per tensor).
/// </summary>
public sealed class RecurrentModuleTests
{
    private const double Tolerance = 1e-10;
    private const long Input = 4, Hidden = 3, Batch = 2;

    /// <summary>(T, layers, bidirectional, batch first, bias, initial states).</summary>
    public static TheoryData<int, int, bool, bool, bool, bool> Shapes() => new()
    {
        { 7, 1, false, false, true, false },
        { 7, 1, false, false, true, true },
        { 1, 1, false, false, true, true },
        { 5, 2, false, true, true, true },
        { 5, 1, true, false, true, true },
        { 6, 2, true, true, false, false },
        { 6, 2, true, false, true, true },
        { 3, 1, false, true, false, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void GruMatchesTorchSharpsGru(int length, int layers, bool bidirectional, bool batchFirst, bool bias, bool initial) =>
        MatchesTorchSharp(lstm: false, length, layers, bidirectional, batchFirst, bias, initial);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void LstmMatchesTorchSharpsLstm(int length, int layers, bool bidirectional, bool batchFirst, bool bias, bool initial) =>
        MatchesTorchSharp(lstm: true, length, layers, bidirectional, batchFirst, bias, initial);

    /// <summary>Our module and TorchSharp's on the same weights, each called through its own <c>forward</c> signature.</summary>
    private static void MatchesTorchSharp(bool lstm, int length, int layers, bool bidirectional, bool batchFirst, bool bias, bool initial)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(lstm ? 21 : 11);
        nn.Module reference = lstm
            ? nn.LSTM(Input, Hidden, layers, bias, batchFirst, 0.0, bidirectional, dtype: ScalarType.Float64)
            : nn.GRU(Input, Hidden, layers, bias, batchFirst, 0.0, bidirectional, dtype: ScalarType.Float64);
        nn.Module ours = lstm
            ? new ParallelLstm(Input, Hidden, layers, bias, batchFirst, 0.0, bidirectional, dtype: ScalarType.Float64)
            : new ParallelGru(Input, Hidden, layers, bias, batchFirst, 0.0, bidirectional, dtype: ScalarType.Float64);
        CopyParameters(reference, ours);
        var (x, h0, c0) = Inputs(length, layers * (bidirectional ? 2 : 1), batchFirst, initial, lstm, seed: lstm ? 22 : 12);
        Tensor[] expected = reference switch
        {
            TorchSharp.Modules.LSTM m => Tuple(m.call(x.Ours, initial ? (h0!.Ours, c0!.Ours) : null)),
            TorchSharp.Modules.GRU m => Tuple(m.call(x.Ours, h0?.Ours)),
            _ => throw new InvalidOperationException(),
        };
        Tensor[] actual = ours switch
        {
            ParallelLstm m => Tuple(m.call(x.Theirs, initial ? (h0!.Theirs, c0!.Theirs) : null)),
            ParallelGru m => Tuple(m.call(x.Theirs, h0?.Theirs)),
            _ => throw new InvalidOperationException(),
        };
        var cotangents = Cotangents(expected[0], expected[1], lstm ? expected[2] : null, seed: lstm ? 23 : 13);
        Backward(expected[0], expected[1], lstm ? expected[2] : null, cotangents);
        Backward(actual[0], actual[1], lstm ? actual[2] : null, cotangents);
        string[] names = { "output", "h_n", "c_n" };
        for (int k = 0; k < expected.Length; k++) AssertClose(names[k], actual[k], expected[k]);
        AssertGradients(reference, ours, x, h0, c0);
        AssertConvergedInParallel((IRecurrentNetwork)ours);
    }

    private static Tensor[] Tuple((Tensor, Tensor) r) => new[] { r.Item1, r.Item2 };

    private static Tensor[] Tuple((Tensor, Tensor, Tensor) r) => new[] { r.Item1, r.Item2, r.Item3 };

    [Theory]
    [InlineData(false, 7, 1, false, true, true)]
    [InlineData(false, 5, 2, true, false, false)]
    [InlineData(false, 1, 2, false, true, true)]
    [InlineData(true, 7, 1, false, true, true)]
    [InlineData(true, 5, 2, true, true, true)]
    [InlineData(true, 3, 2, false, false, false)]
    public void DiagonalCellsMatchTheirEquations(bool lstm, int length, int layers, bool bidirectional, bool bias, bool initial)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(31);
        IRecurrentNetwork ours = lstm
            ? new ParallelLstm(Input, Hidden, layers, bias, batchFirst: true, bidirectional: bidirectional, dtype: ScalarType.Float64, cell: RecurrentCell.LstmCifgDiag)
            : new ParallelGru(Input, Hidden, layers, bias, batchFirst: true, bidirectional: bidirectional, dtype: ScalarType.Float64, cell: RecurrentCell.GruDiag);
        var parameters = ours.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(new[] { 3 * Hidden }, parameters["weight_hh_l0"].shape);
        var copies = parameters.ToDictionary(p => p.Key, p => (Tensor)p.Value.detach().clone().requires_grad_(true));
        var (x, h0, c0) = Inputs(length, layers * (bidirectional ? 2 : 1), batchFirst: true, initial, lstm, seed: 32);
        var result = ours.Run(x.Theirs, h0?.Theirs, c0?.Theirs);
        var (yRef, hnRef, cnRef) = DiagonalCellLoops.Stack(lstm, copies, layers, bidirectional, x.Ours.transpose(0, 1), h0?.Ours, c0?.Ours);
        yRef = yRef.transpose(0, 1);
        var cotangents = Cotangents(yRef, hnRef, lstm ? cnRef : null, seed: 33);
        Backward(yRef, hnRef, lstm ? cnRef : null, cotangents);
        Backward(result.Output, result.HN, result.CN, cotangents);
        AssertClose("output", result.Output, yRef);
        AssertClose("h_n", result.HN, hnRef);
        if (lstm) AssertClose("c_n", result.CN!, cnRef);
        else Assert.Null(result.CN);
        foreach (var (name, parameter) in parameters) AssertClose($"grad {name}", parameter.grad!, copies[name].grad!);
        AssertClose("grad input", x.Theirs.grad!, x.Ours.grad!);
        if (initial) AssertClose("grad h0", h0!.Theirs.grad!, h0.Ours.grad!);
        if (initial && lstm) AssertClose("grad c0", c0!.Theirs.grad!, c0.Ours.grad!);
        AssertConvergedInParallel(ours);
    }

    [Theory]
    [InlineData(RecurrentCell.Gru, false, 2, true)]
    [InlineData(RecurrentCell.Lstm, true, 2, false)]
    [InlineData(RecurrentCell.GruDiag, true, 1, true)]
    [InlineData(RecurrentCell.LstmCifgDiag, false, 3, true)]
    public void ParametersHavePyTorchsNamesShapesAndInitialisation(RecurrentCell cell, bool bias, int layers, bool bidirectional)
    {
        using var scope = torch.NewDisposeScope();
        const long hidden = 16;
        var layout = new RecurrentLayout(cell, Input, hidden, layers, bias, Bidirectional: bidirectional);
        var ours = RecurrentNetworks.Create(layout, dtype: ScalarType.Float64);
        var names = ours.named_parameters().Select(p => (p.name, p.parameter.shape)).ToArray();
        if (!RecurrentCells.HasDiagonalRecurrence(cell))
        {
            nn.Module reference = cell == RecurrentCell.Gru
                ? nn.GRU(Input, hidden, layers, bias, bidirectional: bidirectional)
                : nn.LSTM(Input, hidden, layers, bias, bidirectional: bidirectional);
            Assert.Equal(reference.named_parameters().Select(p => p.name), names.Select(n => n.name));
            Assert.Equal(reference.named_parameters().Select(p => p.parameter.shape), names.Select(n => n.shape));
        }
        Assert.Equal(layout.Parameters().Select(p => (p.Name, p.Shape)), names, new ShapeComparer());
        Assert.Equal(layers * (bidirectional ? 2 : 1) * (bias ? 4 : 2), names.Length);
        double bound = 1 / Math.Sqrt(hidden);
        foreach (var (name, parameter) in ours.named_parameters())
        {
            double max = parameter.abs().max().item<double>();
            Assert.InRange(max, 0.8 * bound, bound); // U(±1/√H): within the bound, and spread across it
            Assert.Equal(ScalarType.Float64, parameter.dtype);
        }
    }

    [Fact]
    public void DropoutActsBetweenLayersInTrainingOnly()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(41);
        var ours = new ParallelGru(Input, Hidden, numLayers: 2, dropout: 0.5, dtype: ScalarType.Float64);
        var bottom = new ParallelGru(Input, Hidden, dtype: ScalarType.Float64);
        var top = new ParallelGru(Hidden, Hidden, dtype: ScalarType.Float64);
        var p = ours.named_parameters().ToDictionary(q => q.name, q => q.parameter);
        bottom.load_state_dict(new Dictionary<string, Tensor> { ["weight_ih_l0"] = p["weight_ih_l0"], ["weight_hh_l0"] = p["weight_hh_l0"], ["bias_ih_l0"] = p["bias_ih_l0"], ["bias_hh_l0"] = p["bias_hh_l0"] });
        top.load_state_dict(new Dictionary<string, Tensor> { ["weight_ih_l0"] = p["weight_ih_l1"], ["weight_hh_l0"] = p["weight_hh_l1"], ["bias_ih_l0"] = p["bias_ih_l1"], ["bias_hh_l0"] = p["bias_hh_l1"] });
        var x = torch.randn(new long[] { 9, 4, Input }, dtype: ScalarType.Float64, generator: new Generator(42));

        ours.eval();
        var (evaluated, _) = ours.call(x);
        AssertClose("eval output", evaluated, top.call(bottom.call(x).Item1).Item1);

        ours.train();
        torch.manual_seed(43);
        var (trained, _) = ours.call(x);
        torch.manual_seed(43);
        var dropped = nn.functional.dropout(bottom.call(x).Item1, 0.5, training: true);
        Assert.True(dropped.eq(0).sum().item<long>() > 0, "the mask zeroes some entries");
        AssertClose("training output", trained, top.call(dropped).Item1);
        Assert.True(Recurrences.MaxAbsDiff(trained, evaluated) > 1e-3, "dropout changed the output in training");
    }

    [Fact]
    public void UnbatchedInputIsOneSequence()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(51);
        var ours = new ParallelLstm(Input, Hidden, numLayers: 2, bidirectional: true, dtype: ScalarType.Float64);
        var x = torch.randn(new long[] { 6, Input }, dtype: ScalarType.Float64, generator: new Generator(52));
        var h0 = torch.randn(new long[] { 4, Hidden }, dtype: ScalarType.Float64, generator: new Generator(53));
        var c0 = torch.randn(new long[] { 4, Hidden }, dtype: ScalarType.Float64, generator: new Generator(54));
        var (y, hn, cn) = ours.call(x, (h0, c0));
        var (yb, hnb, cnb) = ours.call(x.unsqueeze(1), (h0.unsqueeze(1), c0.unsqueeze(1)));
        Assert.Equal(new long[] { 6, 2 * Hidden }, y.shape);
        Assert.Equal(new long[] { 4, Hidden }, hn.shape);
        AssertClose("output", y, yb.squeeze(1));
        AssertClose("h_n", hn, hnb.squeeze(1));
        AssertClose("c_n", cn, cnb.squeeze(1));
    }

    [Fact]
    public void ModeAndSolverChooseTheMethod()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(61);
        var ours = new ParallelGru(Input, Hidden, numLayers: 2, dtype: ScalarType.Float64);
        var x = torch.randn(new long[] { 8, 3, Input }, dtype: ScalarType.Float64, generator: new Generator(62));
        Assert.Same(ParallelChainSolver.DeepPcr, ours.EffectiveSolver);
        var (parallel, _) = ours.call(x);
        Assert.Equal(new[] { "deeppcr", "deeppcr" }, ours.LastSolutions.Select(s => s.MethodName));

        ours.Mode = RecurrentMode.Sequential;
        var (sequential, _) = ours.call(x);
        Assert.Equal(new[] { "sequential", "sequential" }, ours.LastSolutions.Select(s => s.MethodName));
        AssertClose("parallel against sequential", parallel, sequential);

        ours.Solver = DampedNewtonSolver.Instance;
        var (damped, _) = ours.call(x);
        Assert.All(ours.LastSolutions, s => Assert.Equal(ChainMethod.Elk, s.Method));
        AssertClose("elk against sequential", damped, sequential);

        ours.Solver = null;
        ours.Mode = RecurrentMode.Auto;
        Assert.Same(AutoSolver.Instance, ours.EffectiveSolver);
        var (auto, _) = ours.call(x);
        AssertClose("auto against sequential", auto, sequential);
        Assert.Equal(new[] { 0L, 1L }, ours.LastChains.Select(c => c.Layer));
    }

    [Fact]
    public void UnsupportedArgumentsAndBadInputsAreRefused()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Contains("proj_size", Assert.Throws<NotSupportedException>(() => new ParallelLstm(4, 3, projSize: 2)).Message);
        Assert.Contains("ParallelLstm", Assert.Throws<ArgumentException>(() => new ParallelGru(4, 3, cell: RecurrentCell.Lstm)).Message);
        Assert.Contains("ParallelGru", Assert.Throws<ArgumentException>(() => new ParallelLstm(4, 3, cell: RecurrentCell.GruDiag)).Message);
        Assert.Contains("dropout", Assert.Throws<ArgumentException>(() => new ParallelGru(4, 3, dropout: 1.0)).Message);
        Assert.Contains("hidden_size", Assert.Throws<ArgumentException>(() => new ParallelGru(4, 0)).Message);
        Assert.Contains("num_layers", Assert.Throws<ArgumentException>(() => new ParallelGru(4, 3, numLayers: 0)).Message);

        var gru = new ParallelGru(4, 3, numLayers: 2, dtype: ScalarType.Float64);
        var x = torch.zeros(5, 2, 4, dtype: ScalarType.Float64);
        Assert.Contains("input_size is 4", Assert.Throws<ArgumentException>(() => gru.call(torch.zeros(5, 2, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("Float32", Assert.Throws<ArgumentException>(() => gru.call(torch.zeros(5, 2, 4))).Message);
        Assert.Contains("[2, 2, 3]", Assert.Throws<ArgumentException>(() => gru.call(x, torch.zeros(1, 2, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("no cell state", Assert.Throws<ArgumentException>(() => gru.Run(x, null, torch.zeros(2, 2, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("shape", Assert.Throws<ArgumentException>(() => gru.call(torch.zeros(5, 4, dtype: ScalarType.Float64).reshape(1, 1, 5, 4))).Message);
    }

    [Fact]
    public void LoadsAStateDictWrittenByPyTorch()
    {
        using var scope = torch.NewDisposeScope();
        using var folder = new TempFolder("deeppcr-rnn-module");
        torch.manual_seed(71);
        var reference = nn.LSTM(Input, Hidden, 2, bidirectional: true, dtype: ScalarType.Float64);
        string path = Path.Combine(folder.Root, "lstm.safetensors");
        RecurrentFiles.WriteAsPyTorch(path, reference.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), new Dictionary<string, string> { ["cell"] = "lstm" }, f32: true);

        var ours = new ParallelLstm(Input, Hidden, 2, bidirectional: true, dtype: ScalarType.Float64);
        ours.LoadSafeTensors(path);
        var x = torch.randn(new long[] { 5, 2, Input }, dtype: ScalarType.Float64, generator: new Generator(72));
        using var noGrad = torch.no_grad();
        var rounded = reference.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter.to_type(ScalarType.Float32).to_type(ScalarType.Float64));
        reference.load_state_dict(rounded);
        AssertClose("output", ours.call(x).Item1, reference.call(x).Item1);

        var before = ours.named_parameters().Select(p => p.parameter.clone()).ToArray();
        foreach (var (broken, message) in new[] { ("weight_hh_l1_reverse", "missing"), ("extra", "unexpected") })
        {
            var tensors = reference.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Where(p => p.name != broken).ToList();
            if (broken == "extra") tensors.Add(("extra", torch.zeros(2)));
            RecurrentFiles.WriteAsPyTorch(path, tensors, new Dictionary<string, string>(), f32: true);
            Assert.Contains(message, Assert.Throws<InvalidDataException>(() => ours.LoadSafeTensors(path)).Message);
        }
        var small = nn.LSTM(Input, Hidden + 1, 2, bidirectional: true, dtype: ScalarType.Float64);
        RecurrentFiles.WriteAsPyTorch(path, small.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), new Dictionary<string, string>(), f32: false);
        Assert.Contains("H = 4", Assert.Throws<InvalidDataException>(() => ours.LoadSafeTensors(path)).Message);
        Assert.All(ours.named_parameters().Zip(before), pair => Assert.Equal(0.0, Recurrences.MaxAbsDiff(pair.First.parameter, pair.Second)));
    }

    [Fact]
    public void LoadsHalfPrecisionStateDicts()
    {
        using var scope = torch.NewDisposeScope();
        using var folder = new TempFolder("deeppcr-rnn-f16");
        torch.manual_seed(81);
        var source = new ParallelGru(Input, Hidden, cell: RecurrentCell.GruDiag, dtype: ScalarType.Float64);
        var writer = new DeepPcr.SafeTensors.SafeTensorWriter();
        var expected = new Dictionary<string, Tensor>();
        foreach (var (name, parameter) in source.named_parameters())
        {
            var values = parameter.detach().contiguous().data<double>().Select(v => (Half)v).ToArray();
            var bytes = new byte[values.Length * 2];
            for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), values[i]);
            writer.Add(name, DeepPcr.SafeTensors.SafeTensorDtype.F16, parameter.shape, bytes);
            expected[name] = torch.tensor(values.Select(v => (double)v).ToArray(), parameter.shape, ScalarType.Float64);
        }
        string path = Path.Combine(folder.Root, "half.safetensors");
        writer.Save(path);
        var target = new ParallelGru(Input, Hidden, cell: RecurrentCell.GruDiag, dtype: ScalarType.Float64);
        target.LoadSafeTensors(path);
        Assert.All(target.named_parameters(), p => Assert.Equal(0.0, Recurrences.MaxAbsDiff(p.parameter, expected[p.name])));
    }

    private sealed record Pair(Tensor Ours, Tensor Theirs);

    /// <summary>Two independent leaf copies of each input (one per module) so that each gets its own gradient.</summary>
    private static (Pair X, Pair? H0, Pair? C0) Inputs(int length, long chains, bool batchFirst, bool initial, bool lstm, int seed)
    {
        var generator = new Generator((ulong)seed);
        long[] shape = batchFirst ? new[] { Batch, (long)length, Input } : new[] { (long)length, Batch, Input };
        Pair Draw(long[] s, double scale)
        {
            var t = torch.randn(s, dtype: ScalarType.Float64, generator: generator) * scale;
            return new Pair(t.clone().requires_grad_(true), t.clone().requires_grad_(true));
        }
        var x = Draw(shape, 1.0);
        var h0 = initial ? Draw(new[] { chains, Batch, Hidden }, 0.5) : null;
        var c0 = initial && lstm ? Draw(new[] { chains, Batch, Hidden }, 0.5) : null;
        return (x, h0, c0);
    }

    private static Tensor[] Cotangents(Tensor y, Tensor hn, Tensor? cn, int seed)
    {
        var generator = new Generator((ulong)seed);
        return new[] { y, hn, cn }.Where(t => t is not null).Select(t => torch.randn(t!.shape, dtype: ScalarType.Float64, generator: generator)).ToArray();
    }

    private static void Backward(Tensor y, Tensor hn, Tensor? cn, Tensor[] cotangents)
    {
        var loss = (y * cotangents[0]).sum() + (hn * cotangents[1]).sum();
        if (cn is not null) loss = loss + (cn * cotangents[2]).sum();
        loss.backward();
    }

    private static void CopyParameters(nn.Module reference, nn.Module ours)
    {
        using var noGrad = torch.no_grad();
        var source = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in ours.named_parameters()) parameter.copy_(source[name]);
    }

    private static void AssertGradients(nn.Module reference, nn.Module ours, Pair x, Pair? h0, Pair? c0)
    {
        var theirs = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in ours.named_parameters()) AssertClose($"grad {name}", parameter.grad!, theirs[name].grad!);
        AssertClose("grad input", x.Theirs.grad!, x.Ours.grad!);
        if (h0 is not null) AssertClose("grad h0", h0.Theirs.grad!, h0.Ours.grad!);
        if (c0 is not null) AssertClose("grad c0", c0.Theirs.grad!, c0.Ours.grad!);
    }

    /// <summary>
    /// The parallel path ran and converged on every chain (a fallback to the sequential pass would prove nothing), and
    /// the backward pass that filled the gradients was one PCR solve per chain without a fallback.
    /// </summary>
    private static void AssertConvergedInParallel(IRecurrentNetwork module)
    {
        Assert.Equal(module.Layout.Chains, module.LastChains.Count);
        foreach (var chain in module.LastChains)
        {
            Assert.Equal(ChainMethod.DeepPcr, chain.Solution.Method);
            Assert.Equal(Termination.Converged, chain.Solution.Termination);
            Assert.Equal(Fallback.None, chain.Solution.Fallback);
            Assert.NotNull(chain.Adjoint);
            Assert.Equal(AdjointMethod.Parallel, chain.Adjoint!.Method);
            Assert.Equal(Fallback.None, chain.Adjoint.Fallback);
        }
    }

    private static void AssertClose(string what, Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = Math.Max(Recurrences.MaxAbs(expected), 1e-300);
        double error = Recurrences.MaxAbsDiff(actual, expected) / scale;
        Assert.True(error <= Tolerance, $"{what}: max relative error {error:g3} > {Tolerance:g1}");
    }

    private sealed class ShapeComparer : IEqualityComparer<(string, long[])>
    {
        public bool Equals((string, long[]) a, (string, long[]) b) => a.Item1 == b.Item1 && a.Item2.SequenceEqual(b.Item2);

        public int GetHashCode((string, long[]) a) => a.Item1.GetHashCode();
    }
}
