using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Recurrent;
using DeepPcr.Gpu.Reference;
using DeepPcr.Solvers;

namespace DeepPcr.Gpu.Tests;

/// <summary>
/// The recurrent engine (gru-diag: diagonal Jacobian; lstm-cifg-diag: BlockDiagonal(2)) on ILGPU's CPU accelerator
/// against the float64 sequential reference (<see cref="RecurrentReference"/>): the engine runs float32, so the
/// tolerance is 1e-4 relative (max |delta| / max |ref| per tensor), outputs and every gradient.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class RecurrentEngineTests(CpuDeviceFixture fixture)
{
    private const double Tolerance = 1e-4;

    /// <summary>
    /// DeepPCR along T converges (no fallback) to the reference states within 1e-4, in at most T iterations and in
    /// fewer than 40 at T = 1000 (exact Jacobians: Newton's few iterations, not T); the backward pass (one PCR solve, no
    /// fallback) gives the input, initial-state, weight_ih, weight_hh, bias_ih and bias_hh gradients within 1e-4.
    /// </summary>
    [Theory]
    [MemberData(nameof(RecurrentProblems.Grid), MemberType = typeof(RecurrentProblems))]
    public void ForwardAndBackwardMatchTheReference(string cell, int length, int hidden, int batch)
    {
        var (model, problem) = RecurrentProblems.Make(cell, length, hidden, batch);
        using var ws = new RecurrentWorkspace(fixture.Device, model, problem);
        var outcome = RecurrentForward.Run(ws, EngineOptions.Default);
        Assert.Equal(Termination.Converged, outcome.Termination);
        Assert.Equal(Fallback.None, outcome.Fallback);
        Assert.InRange(outcome.Iterations, 0, Math.Min(length, 40));
        var reference = RecurrentReference.Forward(model, problem);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.ReadStates(ws.States.View), reference), 0, Tolerance);

        var run = RecurrentAdjoint.Run(ws, ws.States.View);
        Assert.Equal(Fallback.None, run.Fallback);
        Assert.True(run.Finite);
        Assert.Equal(DevicePcr.RoundsFor(length), run.PcrRounds);
        var expected = RecurrentReference.Backward(model, problem, reference);
        AssertGradients(expected, ws.ReadGradients());
    }

    /// <summary>The device's sequential pass and sequential adjoint (the baselines and fallbacks) agree with the reference too.</summary>
    [Theory]
    [InlineData("gru-diag", 37, 3, 2)]
    [InlineData("lstm-cifg-diag", 37, 3, 2)]
    [InlineData("lstm-cifg-diag", 5, 8, 1)]
    public void SequentialPassesMatchTheReference(string cell, int length, int hidden, int batch)
    {
        var (model, problem) = RecurrentProblems.Make(cell, length, hidden, batch, seed: 5);
        using var ws = new RecurrentWorkspace(fixture.Device, model, problem);
        RecurrentForward.Project(ws);
        RecurrentForward.Sequential(ws, ws.BaselineStates.View);
        var reference = RecurrentReference.Forward(model, problem);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.ReadStates(ws.BaselineStates.View), reference), 0, Tolerance);

        var run = RecurrentAdjoint.Run(ws, ws.BaselineStates.View, sequential: true);
        Assert.Equal(0, run.PcrRounds);
        AssertGradients(RecurrentReference.Backward(model, problem, reference), ws.ReadGradients());
    }

    /// <summary>
    /// With an iteration limit too low to converge and the safeguards on, the core's fallback policy runs the sequential
    /// pass: the outcome says fell_back / sequential with the reason, and the states are still the reference's.
    /// </summary>
    [Theory]
    [InlineData("gru-diag")]
    [InlineData("lstm-cifg-diag")]
    public void IterationLimitFallsBackToTheSequentialPass(string cell)
    {
        var (model, problem) = RecurrentProblems.Make(cell, 64, 3, 2);
        using var ws = new RecurrentWorkspace(fixture.Device, model, problem);
        var outcome = RecurrentForward.Run(ws, new EngineOptions(MaxIterations: 1));
        Assert.Equal(Termination.FellBack, outcome.Termination);
        Assert.Equal(Fallback.Sequential, outcome.Fallback);
        Assert.NotNull(outcome.Reason);
        Assert.Equal(1, outcome.Iterations);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.ReadStates(ws.States.View), RecurrentReference.Forward(model, problem)), 0, Tolerance);
    }

    /// <summary>With the safeguards off the same limit keeps the last iterate and reports iteration_limit (no silent fallback).</summary>
    [Fact]
    public void IterationLimitWithoutSafeguardsIsReported()
    {
        var (model, problem) = RecurrentProblems.Make("gru-diag", 64, 3, 2);
        using var ws = new RecurrentWorkspace(fixture.Device, model, problem);
        var outcome = RecurrentForward.Run(ws, new EngineOptions(MaxIterations: 1) { Safeguards = Safeguards.Off });
        Assert.Equal(Termination.IterationLimit, outcome.Termination);
        Assert.Equal(Fallback.None, outcome.Fallback);
        Assert.True(outcome.FinalRatio > 1);
    }

    /// <summary>
    /// Recurrent gain well above 1 (weight_hh and weight_ih scaled by 8, saturating gates): the answer is still the
    /// sequential one within 1e-4, by Newton or by the reported fallback.
    /// </summary>
    [Theory]
    [InlineData("gru-diag")]
    [InlineData("lstm-cifg-diag")]
    public void LargeGainIsRightByNewtonOrByTheReportedFallback(string cell)
    {
        var (baseModel, _) = RecurrentProblems.Make(cell, 1, 4, 1, seed: 3);
        double[] Scale(double[] v) => Array.ConvertAll(v, x => (double)(float)(8 * x));
        var model = new RecurrentModel(baseModel.Cell, 4, baseModel.InputSize, Scale(baseModel.WeightIh), Scale(baseModel.WeightHh), baseModel.BiasIh, baseModel.BiasHh);
        var problem = RecurrentProblem.Random(model, 2, 300, 3);
        using var ws = new RecurrentWorkspace(fixture.Device, model, problem);
        var outcome = RecurrentForward.Run(ws, EngineOptions.Default);
        Assert.True(outcome.Termination == Termination.Converged || outcome.Fallback == Fallback.Sequential);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.ReadStates(ws.States.View), RecurrentReference.Forward(model, problem)), 0, Tolerance);
    }

    /// <summary>
    /// The DEER form alone (the recovery path after a non-finite correction: c_t = f_t - A_t z_{t-1}, the initial state
    /// folded into row 0), iterated from the cold guess, reaches the reference states within 1e-4 in a few iterations,
    /// its stopping ratio falling below 1.
    /// </summary>
    [Theory]
    [InlineData("gru-diag")]
    [InlineData("lstm-cifg-diag")]
    public void DeerFormAloneConverges(string cell)
    {
        var (model, problem) = RecurrentProblems.Make(cell, 50, 3, 2, seed: 4);
        using var ws = new RecurrentWorkspace(fixture.Device, model, problem);
        RecurrentForward.Project(ws);
        var chain = new RecurrentChain(ws, EngineOptions.Default);
        chain.ColdGuess();
        int iterations = 0;
        while (chain.Deer().Ratio > 1)
        {
            chain.SwapStates();
            Assert.InRange(++iterations, 1, 20);
        }
        Assert.InRange(ErrorMeasure.PooledRelative(ws.ReadStates(ws.States.View), RecurrentReference.Forward(model, problem)), 0, Tolerance);
    }

    private static void AssertGradients(RecurrentGradients expected, RecurrentGradients actual)
    {
        string[] names = ["input", "initial state", "weight_ih", "weight_hh", "bias_ih", "bias_hh"];
        for (int i = 0; i < names.Length; i++)
        {
            double error = ErrorMeasure.PooledRelative(actual.All[i], expected.All[i]);
            Assert.True(error <= Tolerance, $"{names[i]}: relative error {error:E2} above {Tolerance:E0}");
        }
    }
}
