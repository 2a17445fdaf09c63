using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Recurrent;

/// <summary>
/// What is promised off the easy path: float32 within 1e-4 of float64 (relative to the largest value, outputs and
/// gradients), weights with recurrent gain well above 1 (where DEER may diverge) still giving the sequential answer
/// (converged, or by a reported fallback, never silently wrong), and bad arguments refused with a clear message.
/// </summary>
public class RecurrentRobustnessTests
{
    [Theory]
    [InlineData(RecurrentCell.Gru)]
    [InlineData(RecurrentCell.Lstm)]
    [InlineData(RecurrentCell.GruDiag)]
    [InlineData(RecurrentCell.LstmCifgDiag)]
    public void Float32AgreesWithFloat64(RecurrentCell cell)
    {
        using var scope = torch.NewDisposeScope();
        const int steps = 300, batch = 3, input = 4, hidden = 8;
        var w64 = RecurrentReference.Weights(cell, input, hidden, ScalarType.Float64, seed: 21);
        var (x64, h64, c64) = RecurrentReference.Inputs(cell, steps, batch, input, hidden, ScalarType.Float64, seed: 22);
        Tensor F32(Tensor t) => t.detach().to_type(ScalarType.Float32).requires_grad_(true);
        var w32 = new RecurrentWeights(F32(w64.WeightIh), F32(w64.WeightHh), F32(w64.BiasIh!), F32(w64.BiasHh!));
        var (x32, h32, c32) = (F32(x64), F32(h64), c64 is null ? null : F32(c64));

        using var reference = RecurrentScan.Apply(cell, x64, w64, h64, c64, SequentialSolver.Instance);
        using var single = RecurrentScan.Apply(cell, x32, w32, h32, c32, ParallelChainSolver.DeepPcr);
        Assert.Equal(Fallback.None, single.Solution.Fallback);
        RecurrentScanTests.AssertClose(single.Output, reference.Output, 1e-4, "float32 output");
        var cotangents = RecurrentScanTests.Cotangents((reference.Output, reference.HN, reference.CN), seed: 1);
        Tensor? F32Maybe(Tensor? t) => t?.to_type(ScalarType.Float32);
        var expected = torch.autograd.grad(new[] { RecurrentScanTests.Loss((reference.Output, reference.HN, reference.CN), cotangents) },
            RecurrentReference.Leaves(x64, h64, c64, w64));
        var actual = torch.autograd.grad(new[] { RecurrentScanTests.Loss((single.Output, single.HN, single.CN),
            (cotangents.Item1.to_type(ScalarType.Float32), cotangents.Item2.to_type(ScalarType.Float32), F32Maybe(cotangents.Item3))) },
            RecurrentReference.Leaves(x32, h32, c32, w32));
        for (int i = 0; i < expected.Count; i++) RecurrentScanTests.AssertClose(actual[i], expected[i], 1e-4, $"float32 gradient {i}");
    }

    [Theory]
    [InlineData(RecurrentCell.Gru)]
    [InlineData(RecurrentCell.Lstm)]
    [InlineData(RecurrentCell.GruDiag)]
    [InlineData(RecurrentCell.LstmCifgDiag)]
    public void LargeRecurrentGainStillGivesTheSequentialAnswer(RecurrentCell cell)
    {
        using var scope = torch.NewDisposeScope();
        const int steps = 400, batch = 2, input = 3, hidden = 8;
        var weights = RecurrentReference.Weights(cell, input, hidden, ScalarType.Float64, seed: 5, gain: 12.0);
        var (x, h0, c0) = RecurrentReference.Inputs(cell, steps, batch, input, hidden, ScalarType.Float64, seed: 6);
        var reference = RecurrentReference.Run(cell, x, weights, h0, c0);
        foreach (var solver in RecurrentScanTests.Solvers(cell))
        {
            using var result = RecurrentScan.Apply(cell, x, weights, h0, c0, solver);
            // Converged or fell back with the reason reported; either way the sequential answer.
            Assert.True(result.Solution.Termination == Termination.Converged || (result.Solution.Fallback != Fallback.None && result.Solution.FallbackReason is not null),
                $"{solver.Name}: {result.Solution.Termination}, {result.Solution.Fallback}");
            RecurrentScanTests.AssertClose(result.Output, reference.Output, 1e-8, $"{solver.Name} ({result.Solution.MethodName}, {result.Solution.Iterations} iterations, fallback {result.Solution.FallbackName})");
        }
    }

    [Theory]
    [InlineData(RecurrentCell.Gru)]
    [InlineData(RecurrentCell.Lstm)]
    [InlineData(RecurrentCell.GruDiag)]
    [InlineData(RecurrentCell.LstmCifgDiag)]
    public void AutoNamesWhatItRanAndGivesTheSequentialAnswer(RecurrentCell cell)
    {
        using var scope = torch.NewDisposeScope();
        const int steps = 500, batch = 2, input = 3, hidden = 4;
        var weights = RecurrentReference.Weights(cell, input, hidden, ScalarType.Float64, seed: 8);
        var (x, h0, c0) = RecurrentReference.Inputs(cell, steps, batch, input, hidden, ScalarType.Float64, seed: 9);
        var reference = RecurrentReference.Run(cell, x, weights, h0, c0);
        using var result = RecurrentScan.Apply(cell, x, weights, h0, c0, AutoSolver.Instance);
        Assert.Contains(result.Solution.Method, new[] { ChainMethod.Sequential, ChainMethod.DeepPcr });
        Assert.Equal(ChainEngine.Host, result.Solution.Engine);
        Assert.True(result.Solution.Fallback == Fallback.None || result.Solution.FallbackReason is not null);
        RecurrentScanTests.AssertClose(result.Output, reference.Output, 1e-10, $"auto ({result.Solution.MethodName})");
        var cotangents = RecurrentScanTests.Cotangents(reference, seed: 2);
        var leaves = RecurrentReference.Leaves(x, h0, c0, weights);
        var expected = torch.autograd.grad(new[] { RecurrentScanTests.Loss(reference, cotangents) }, leaves);
        var actual = torch.autograd.grad(new[] { RecurrentScanTests.Loss((result.Output, result.HN, result.CN), cotangents) }, leaves);
        for (int i = 0; i < leaves.Count; i++) RecurrentScanTests.AssertClose(actual[i], expected[i], 1e-10, $"auto gradient {i}");
    }

    [Fact]
    public void NamesParseAndUnknownNamesListTheCells()
    {
        foreach (var cell in Enum.GetValues<RecurrentCell>()) Assert.Equal(cell, RecurrentCells.Parse(RecurrentCells.Name(cell)));
        Assert.Equal(new[] { 3, 4, 3, 3 }, Enum.GetValues<RecurrentCell>().Select(RecurrentCells.Gates));
        var error = Assert.Throws<ArgumentException>(() => RecurrentCells.Parse("rnn"));
        foreach (var name in new[] { "gru", "lstm", "gru-diag", "lstm-cifg-diag" }) Assert.Contains(name, error.Message);
    }

    [Fact]
    public void BadArgumentsAreRefusedWithClearMessages()
    {
        using var scope = torch.NewDisposeScope();
        var gru = RecurrentReference.Weights(RecurrentCell.Gru, 2, 3, ScalarType.Float64, seed: 1);
        var x = torch.zeros(new long[] { 5, 2, 2 }, dtype: ScalarType.Float64);
        var solver = ParallelChainSolver.DeepPcr;

        Assert.Contains("weight_hh", Assert.Throws<ArgumentException>(() => RecurrentWeights.Create(RecurrentCell.Gru, gru.WeightIh, torch.zeros(9, 2, dtype: ScalarType.Float64))).Message);
        Assert.Contains("[3·H, I]", Assert.Throws<ArgumentException>(() => RecurrentWeights.Create(RecurrentCell.Gru, torch.zeros(8, 2, dtype: ScalarType.Float64), gru.WeightHh)).Message);
        Assert.Contains("diagonal", Assert.Throws<ArgumentException>(() => RecurrentWeights.Create(RecurrentCell.GruDiag, gru.WeightIh, gru.WeightHh)).Message);
        Assert.Contains("bias_hh", Assert.Throws<ArgumentException>(() => RecurrentWeights.Create(RecurrentCell.Gru, gru.WeightIh, gru.WeightHh, null, torch.zeros(4, dtype: ScalarType.Float64))).Message);
        Assert.Contains("dtype", Assert.Throws<ArgumentException>(() => RecurrentWeights.Create(RecurrentCell.Gru, gru.WeightIh, gru.WeightHh.to_type(ScalarType.Float32))).Message);
        Assert.Contains("I = 2", Assert.Throws<ArgumentException>(() => RecurrentScan.Apply(RecurrentCell.Gru, torch.zeros(5, 2, 3, dtype: ScalarType.Float64), gru, null, null, solver)).Message);
        Assert.Contains("h0", Assert.Throws<ArgumentException>(() => RecurrentScan.Apply(RecurrentCell.Gru, x, gru, torch.zeros(3, 3, dtype: ScalarType.Float64), null, solver)).Message);
        Assert.Contains("no cell state", Assert.Throws<ArgumentException>(() => RecurrentScan.Apply(RecurrentCell.Gru, x, gru, null, torch.zeros(2, 3, dtype: ScalarType.Float64), solver)).Message);
        var nan = x.clone();
        nan[1, 0, 0] = double.NaN;
        Assert.Contains("non-finite", Assert.Throws<ArgumentException>(() => RecurrentScan.Apply(RecurrentCell.Gru, nan, gru, null, null, solver)).Message);
        Assert.Contains("T, B >= 1", Assert.Throws<ArgumentException>(() => RecurrentScan.Apply(RecurrentCell.Gru, torch.zeros(0, 2, 2, dtype: ScalarType.Float64), gru, null, null, solver)).Message);
    }
}
