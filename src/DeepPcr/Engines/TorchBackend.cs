using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Newton;
using DeepPcr.Solvers;
using DeepPcr.Solvers.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Engines;

/// <summary>
/// The Newton loop's backend on TorchSharp operations: any device and dtype, any step (Jacobians from the step or
/// from autograd), every Jacobian choice and step control. The linear solves run in PCR's host kernel when the
/// tensors are CPU float32/float64 outside autograd, and as TorchSharp operations otherwise.
/// </summary>
/// <remarks>
/// The next iterate is z + d with d_l = A_l d_{l-1} + r_l, d_0 = 0 while that is finite: the same iterate as the DEER
/// form, but PCR's rounding then scales with the small correction d rather than with |A z| (in float32 the DEER form's
/// sums left 1e-4 differences on a 1000-step diffusion chain, the correction form 1e-6). Once a value is not finite it
/// is the DEER form's solution, which never reads z_l for row l and so recovers where z + d would stay NaN.
/// </remarks>
internal sealed class TorchBackend : IChainBackend
{
    private readonly IChainStep step;
    private readonly Linearization linearization;
    private readonly BlockStructure? structure;
    private readonly int first, chunk;
    private readonly bool needMerit;
    private readonly Tensor start;
    private Tensor? z, inputs, outputs, residual, next, correction, blocks, previousInputs, previousOutputs;
    private Tensor? trial, trialInputs, trialOutputs, trialResidual;
    private IReadOnlyList<double>? merit, trialMerit;
    private double norm, trialNorm;

    /// <summary>A run over steps first..first+n-1.</summary>
    /// <param name="step">The chain.</param>
    /// <param name="linearization">The Jacobian choice.</param>
    /// <param name="first">The first step.</param>
    /// <param name="start">(B, w): the start state, the caller's.</param>
    /// <param name="guess">(n, B, w): the first iterate, copied.</param>
    /// <param name="chunk">0 for plain PCR, else the rows per chunk of hybrid chunked PCR.</param>
    /// <param name="needMerit">Compute per-sample merits (damped and clipped steps).</param>
    public TorchBackend(IChainStep step, Linearization linearization, int first, Tensor start, Tensor guess, int chunk, bool needMerit)
    {
        this.step = step;
        this.linearization = linearization;
        structure = linearization.StructureFor(step);
        this.first = first;
        this.start = start;
        this.chunk = structure is null ? 0 : chunk;
        this.needMerit = needMerit;
        ChainStates.Replace(ref z, guess.detach().clone());
    }

    /// <inheritdoc />
    public ChainEngine Engine => ChainEngine.Torch;

    /// <inheritdoc />
    public bool Chunked { get; private set; }

    /// <inheritdoc />
    public int Batch => (int)start.size(0);

    /// <inheritdoc />
    public int PcrRounds { get; private set; }

    /// <inheritdoc />
    public Evaluation Start()
    {
        (norm, merit) = Evaluate(z!, ref inputs, ref outputs, ref residual);
        return new Evaluation(norm, merit);
    }

    /// <inheritdoc />
    public StopMeasure Linearize(StoppingRule rule, IReadOnlyList<double>? carried)
    {
        using var scope = torch.NewDisposeScope();
        if (structure is null)
        {
            ChainStates.Replace(ref next, outputs!.clone());
        }
        else
        {
            ChainStates.Replace(ref blocks, linearization.Blocks(step, first, inputs!)!);
            NewtonIterate();
        }
        if (linearization.UpdateEstimatesError)
        {
            var update = (next! - z!).abs_();
            double ratio = update.div(z!.abs().mul_(rule.Rtol).add_(rule.Atol)).max().ToDouble();
            var final = ChainStates.Host(update.select(0, update.size(0) - 1).amax(new long[] { -1 }));
            return new StopMeasure(ratio, update.max().ToDouble(), final);
        }
        var rowResidual = ChainStates.Host(residual!.abs().amax(new long[] { -1 }));   // (n, B)
        var stateNorm = ChainStates.Host(z!.abs().amax(new long[] { -1 }));
        return ErrorBound.Scan(rowResidual, Gains(), stateNorm, Batch, carried, rule);
    }

    /// <summary>The next iterate (and the correction next - z) from the blocks at the current iterate.</summary>
    private void NewtonIterate()
    {
        if (double.IsFinite(norm))
        {
            var d = Solve(new LinearRecurrence(structure!, blocks!, residual!, torch.zeros_like(start)));
            if (d.isfinite().all().item<bool>())
            {
                ChainStates.Replace(ref correction, d);
                var sum = z! + d;
                if (sum.isfinite().all().item<bool>())
                {
                    ChainStates.Replace(ref next, sum);
                    return;
                }
            }
        }
        var c = outputs! - structure!.Apply(blocks!, inputs!);
        var deer = Solve(new LinearRecurrence(structure, blocks!, c, start));
        ChainStates.Replace(ref next, deer);
        if (correction is null) ChainStates.Replace(ref correction, deer - z!);
    }

    private Tensor Solve(LinearRecurrence r)
    {
        bool chunked = chunk > 0 && ParallelCyclicReduction.UsesHostKernel(r);
        var solution = chunked ? ChunkedPcr.SolveUnchecked(r, chunk) : ParallelCyclicReduction.SolveUnchecked(r);
        Chunked |= chunked;
        PcrRounds = solution.Rounds;
        return solution.States;
    }

    /// <summary>
    /// (n, B): the secant estimate of each step's gain from the last two iterates, ||f(z) - f(z')|| / ||z - z'||;
    /// infinity where no earlier iterate exists yet, 0 where the input did not move.
    /// </summary>
    private double[] Gains()
    {
        if (previousInputs is null || previousOutputs is null)
        {
            return Enumerable.Repeat(double.PositiveInfinity, (int)(inputs!.size(0) * inputs.size(1))).ToArray();
        }
        var moved = (inputs! - previousInputs).abs().amax(new long[] { -1 });
        var changed = (outputs! - previousOutputs).abs().amax(new long[] { -1 });
        return ChainStates.Host(torch.where(moved > 0, changed / moved, torch.zeros_like(moved)));
    }

    /// <inheritdoc />
    public void ProposeNext()
    {
        ChainStates.Replace(ref trial, next);
        next = null;
    }

    /// <inheritdoc />
    public void ProposeDamped(IReadOnlyList<double> lambda, double cutBound)
    {
        using var scope = torch.NewDisposeScope();
        var newton = z! + Cut(cutBound);
        if (!lambda.Any(l => l > 0))
        {
            ChainStates.Replace(ref trial, newton);
            return;
        }
        var dense = structure!.ToDense(blocks!, z!.size(2));
        var system = NormalEquations.Build(dense, residual!, lambda.ToArray());
        var solution = BlockTridiagonalPcr.SolveUnchecked(system);
        PcrRounds = Math.Max(PcrRounds, solution.Rounds);
        var mask = torch.tensor(lambda.Select(l => l > 0).ToArray(), device: z.device).view(1, -1, 1);
        ChainStates.Replace(ref trial, torch.where(mask, z + solution.States, newton));
    }

    /// <inheritdoc />
    public IReadOnlyList<double> ProposeClipped(IReadOnlyList<double> radius, double cutBound)
    {
        using var scope = torch.NewDisposeScope();
        var cut = Cut(cutBound);
        var norms = cut.abs().amax(new long[] { -1 }, keepdim: true);              // (n, B, 1)
        var limit = torch.tensor(radius.ToArray(), dtype: ScalarType.Float64, device: z!.device).view(1, -1, 1);
        var scale = torch.where(norms > limit, limit / norms.to_type(ScalarType.Float64), torch.ones_like(limit)).to_type(z.dtype);
        ChainStates.Replace(ref trial, z + cut * scale);
        return ChainStates.Host(norms.amax(new long[] { 0, 2 }));
    }

    /// <summary>
    /// (n, B, w): the correction up to each sample's first row that is not finite or whose new value exceeds
    /// <paramref name="bound"/> times the sample's scale s = max(1, max |z_0|, max_l |f_l(z_{l-1})|) (infinity applies
    /// no such bound), and zero from there on. The cut step keeps Newton's guarantee: the rows before the cut include
    /// the exact prefix z_1..z_k and the next row, whose new value f_{k+1}(z_k) is an output of the current iterate (so
    /// at most s); the exact prefix still grows by at least one row per step.
    /// </summary>
    private Tensor Cut(double bound)
    {
        var rowOk = correction!.isfinite().all(-1);                                    // (n, B)
        if (double.IsFinite(bound))
        {
            var scale = torch.maximum(outputs!.abs().amax(new long[] { 0, 2 }), start.abs().amax(new long[] { -1 })).clamp_min(1.0);
            var size = (z! + torch.nan_to_num(correction, 0.0)).abs().amax(new long[] { -1 });
            rowOk = rowOk.logical_and(size <= scale * bound);
        }
        var prefix = rowOk.to_type(ScalarType.Int32).cumprod(0).to_type(ScalarType.Bool).unsqueeze(-1);   // (n, B, 1)
        return torch.where(prefix, correction, torch.zeros_like(correction));
    }

    /// <inheritdoc />
    public Evaluation EvaluateTrial()
    {
        (trialNorm, trialMerit) = Evaluate(trial!, ref trialInputs, ref trialOutputs, ref trialResidual);
        return new Evaluation(trialNorm, trialMerit);
    }

    /// <inheritdoc />
    public Evaluation Accept(IReadOnlyList<bool> take)
    {
        if (take.All(t => t))
        {
            if (!linearization.UpdateEstimatesError)
            {
                ChainStates.Replace(ref previousInputs, inputs);
                ChainStates.Replace(ref previousOutputs, outputs);
                inputs = outputs = null;
            }
            Move(ref z, ref trial);
            Move(ref inputs, ref trialInputs);
            Move(ref outputs, ref trialOutputs);
            Move(ref residual, ref trialResidual);
            (merit, norm) = (trialMerit, trialNorm);
        }
        else
        {
            using var scope = torch.NewDisposeScope();
            var mask = torch.tensor(take.ToArray(), device: z!.device).view(1, -1, 1);
            ChainStates.Replace(ref z, torch.where(mask, trial!, z));
            ChainStates.Replace(ref inputs, torch.where(mask, trialInputs!, inputs!));
            ChainStates.Replace(ref outputs, torch.where(mask, trialOutputs!, outputs!));
            ChainStates.Replace(ref residual, torch.where(mask, trialResidual!, residual!));
            merit = merit!.Select((m, b) => take[b] ? trialMerit![b] : m).ToArray();
            norm = merit.Any(m => !double.IsFinite(m)) ? double.PositiveInfinity : residual!.abs().max().ToDouble();
        }
        ChainStates.Replace(ref next, null);
        ChainStates.Replace(ref correction, null);
        return new Evaluation(norm, merit);
    }

    private static void Move(ref Tensor? target, ref Tensor? source)
    {
        ChainStates.Replace(ref target, source);
        source = null;
    }

    /// <summary>One batched evaluation at <paramref name="states"/>: inputs, outputs, residual, its norm and the merits.</summary>
    private (double Norm, IReadOnlyList<double>? Merit) Evaluate(Tensor states, ref Tensor? stepInputs, ref Tensor? stepOutputs, ref Tensor? stepResidual)
    {
        using var scope = torch.NewDisposeScope();
        var i = ChainStates.Shift(start, states);
        var o = step.Evaluate(first, i);
        var r = o - states;
        IReadOnlyList<double>? merits = null;
        double max;
        if (needMerit)
        {
            merits = ChainStates.Host(r.to_type(ScalarType.Float64).square().sum(new long[] { 0, 2 }))
                .Select(m => double.IsFinite(m) ? m : double.PositiveInfinity).ToArray();
            max = merits.Any(m => !double.IsFinite(m)) ? double.PositiveInfinity : r.abs().max().ToDouble();
        }
        else
        {
            max = r.abs().max().ToDouble();
        }
        ChainStates.Replace(ref stepInputs, i);
        ChainStates.Replace(ref stepOutputs, o);
        ChainStates.Replace(ref stepResidual, r);
        return (max, merits);
    }

    /// <inheritdoc />
    public Tensor TakeStates() => z!.clone();

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in new[] { z, inputs, outputs, residual, next, correction, blocks, previousInputs, previousOutputs, trial, trialInputs, trialOutputs, trialResidual })
        {
            t?.Dispose();
        }
    }
}
