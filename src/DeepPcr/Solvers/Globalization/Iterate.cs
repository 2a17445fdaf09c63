using DeepPcr.Chains;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers.Globalization;

/// <summary>
/// A guess of the states with everything one batched evaluation of the chain gives: the steps' inputs and
/// outputs, the residual r_l = f_l(z_{l-1}) - z_l and each sample's merit ||r||^2 (the objective that damped
/// and trust-region steps decrease). Owns its tensors.
/// </summary>
internal sealed class Iterate : IDisposable
{
    private Iterate(Tensor states, Tensor inputs, Tensor outputs, Tensor residual, double[] merit)
    {
        States = states;
        Inputs = inputs;
        Outputs = outputs;
        Residual = residual;
        Merit = merit;
    }

    /// <summary>(n, B, w): z_1..z_n.</summary>
    public Tensor States { get; }

    /// <summary>(n, B, w): z_0..z_{n-1}, the inputs of the steps.</summary>
    public Tensor Inputs { get; }

    /// <summary>(n, B, w): f_l(z_{l-1}).</summary>
    public Tensor Outputs { get; }

    /// <summary>(n, B, w): r_l = f_l(z_{l-1}) - z_l.</summary>
    public Tensor Residual { get; }

    /// <summary>(B): sum of r^2 over rows and width, in float64; infinity where a value is not finite.</summary>
    public double[] Merit { get; }

    /// <summary>max |r| over all values (NaN or infinity when one is not finite).</summary>
    public double ResidualNorm => Merit.Any(m => !double.IsFinite(m)) ? double.PositiveInfinity : MaxAbs(Residual);

    /// <summary>Evaluates all steps at the guess (one batched call).</summary>
    /// <param name="step">The chain.</param>
    /// <param name="start">(B, w): z_0.</param>
    /// <param name="states">(n, B, w): the guess; adopted (disposed with the iterate), not copied.</param>
    public static Iterate At(IChainStep step, Tensor start, Tensor states)
    {
        using var scope = torch.NewDisposeScope();
        var inputs = ParallelIteration.Shift(start, states);
        var outputs = step.Evaluate(0, inputs);
        var residual = outputs - states;
        var merit = ErrorBound.Host(residual.to_type(ScalarType.Float64).square().sum(new long[] { 0, 2 }))
            .Select(m => double.IsFinite(m) ? m : double.PositiveInfinity).ToArray();
        return new Iterate(states, inputs.MoveToOuterDisposeScope(),
            outputs.MoveToOuterDisposeScope(), residual.MoveToOuterDisposeScope(), merit);
    }

    /// <summary>Per sample, the trial's values where <paramref name="take"/> holds and this iterate's elsewhere (new tensors).</summary>
    /// <param name="trial">The candidate iterate.</param>
    /// <param name="take">(B): which samples take the candidate.</param>
    public Iterate Merge(Iterate trial, bool[] take)
    {
        using var scope = torch.NewDisposeScope();
        var mask = torch.tensor(take, device: States.device).view(1, -1, 1);
        Tensor Pick(Tensor mine, Tensor theirs) => torch.where(mask, theirs, mine).MoveToOuterDisposeScope();
        var merit = Merit.Select((m, b) => take[b] ? trial.Merit[b] : m).ToArray();
        return new Iterate(Pick(States, trial.States), Pick(Inputs, trial.Inputs), Pick(Outputs, trial.Outputs),
            Pick(Residual, trial.Residual), merit);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        States.Dispose();
        Inputs.Dispose();
        Outputs.Dispose();
        Residual.Dispose();
    }

    private static double MaxAbs(Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.abs().max().ToDouble();
    }
}
