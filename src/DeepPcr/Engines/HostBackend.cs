using System.Numerics;
using DeepPcr.Chains;
using DeepPcr.Distributed;
using DeepPcr.Linear;
using DeepPcr.Linear.Kernels;
using DeepPcr.Newton;
using DeepPcr.Solvers;
using static TorchSharp.torch;

namespace DeepPcr.Engines;

/// <summary>
/// The Newton loop's backend in host memory, for steps with host kernels (<see cref="IHostChainStep"/>) on CPU
/// float32/float64 states: every evaluation, Jacobian, PCR solve and norm in buffers allocated once per run, so no
/// framework call sits inside the loop. Exact Newton with the step's Jacobians in its declared structure (dense,
/// block-diagonal, diagonal, scalar: the kernels dispatch on it) and the plain step (the engine selection,
/// <see cref="EngineSelection"/>, sends everything else to <see cref="TorchBackend"/>). The iterates are those of the
/// torch backend: the correction form z + d while finite, the DEER form (c = f(z) - A z from the start state) otherwise.
/// With a <see cref="RankLink{T}"/> the run is one rank's segment of a chain split across ranks (the distributed
/// backend): its linear solves are the link's, its start state follows the segment before it, and its norms and
/// finiteness checks are reduced over all ranks, so every rank takes the same decisions and stops on the same iteration.
/// </summary>
internal sealed unsafe class HostBackend<T> : IChainBackend where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IHostChainStep step;
    private readonly int first, count, batch, width, rowSize, chunk;
    private readonly HostBlock block;
    private readonly long stride;
    private readonly ScalarType dtype;
    // chain = [z_0; z_1..z_n]: the inputs of the steps are its first n rows, the iterate its last n rows.
    private readonly T[] chain, outputs, next, zeros, nextStart;
    private readonly RankLink<T>? link;
    private readonly HostScratch scratch;
    private readonly T* jacobian, planes;
    private double norm;

    /// <summary>A run over steps first..first+count-1 from <paramref name="start"/> (B, w) and <paramref name="guess"/> (count, B, w).</summary>
    /// <param name="step">The chain (or, with a link, this rank's segment of it).</param>
    /// <param name="first">The first step of the run in <paramref name="step"/>'s numbering.</param>
    /// <param name="start">(B, w): the state before the first step (with a link: the guess of it, except on the first segment).</param>
    /// <param name="guess">(count, B, w); count may be 0 with a link (a rank that holds no steps).</param>
    /// <param name="chunk">Rows per chunk of the hybrid PCR, or 0 (unused with a link).</param>
    /// <param name="link">The other ranks' segments, or null for a whole chain in this process.</param>
    public HostBackend(IHostChainStep step, int first, Tensor start, Tensor guess, int chunk, RankLink<T>? link = null)
    {
        this.link = link;
        this.step = step;
        this.first = first;
        count = (int)guess.size(0);
        batch = (int)start.size(0);
        width = step.Width;
        block = BlockStructure.Of(step).HostBlock(width);
        rowSize = batch * width;
        dtype = start.dtype;
        this.chunk = chunk;
        stride = HostPcr.StrideFor<T>((long)count * batch);
        chain = new T[(count + 1) * rowSize];
        HostTensors.CopyTo(start, chain.AsSpan(0, rowSize));
        HostTensors.CopyTo(guess, chain.AsSpan(rowSize));
        outputs = new T[count * rowSize];
        next = new T[count * rowSize];
        zeros = new T[rowSize];
        nextStart = chain[..rowSize];
        scratch = HostScratch.Lease((block.Size * stride + HostPcr.ScratchFor<T>(block, stride)) * sizeof(T));
        jacobian = (T*)scratch.Pointer;
        planes = jacobian + block.Size * stride;
    }

    /// <inheritdoc />
    public ChainEngine Engine => ChainEngine.Host;

    /// <inheritdoc />
    public bool Chunked => chunk > 0;

    /// <inheritdoc />
    public int Batch => batch;

    /// <inheritdoc />
    public int PcrRounds { get; private set; }

    private Span<T> Z => chain.AsSpan(rowSize);

    /// <inheritdoc />
    public Evaluation Start() => EvaluateTrial();

    /// <summary>Evaluates the steps and their Jacobians at the iterate; <see cref="next"/> receives the residual f(z) - z.</summary>
    public Evaluation EvaluateTrial()
    {
        if (count > 0) step.EvaluateOnHost<T>(first, batch, chain.AsSpan(0, count * rowSize), outputs, new Span<T>(jacobian, (int)(block.Size * stride)), stride);
        var z = Z;
        norm = 0;
        for (int i = 0; i < next.Length; i++)
        {
            T r = outputs[i] - z[i];
            next[i] = r;
            double magnitude = double.CreateTruncating(T.Abs(r));
            if (!(magnitude <= norm)) norm = magnitude; // NaN sticks
        }
        if (link is not null)
        {
            Span<double> all = stackalloc double[] { norm };
            link.Group.Max(all);
            norm = all[0];
        }
        return new Evaluation(norm, null);
    }

    /// <inheritdoc />
    public StopMeasure Linearize(StoppingRule rule, IReadOnlyList<double>? carried)
    {
        NewtonIterate();
        var z = Z;
        double ratio = 0, estimate = 0;
        for (int i = 0; i < next.Length; i++)
        {
            double update = double.CreateTruncating(T.Abs(next[i] - z[i]));
            double r = rule.Ratio(update, double.CreateTruncating(T.Abs(z[i])));
            if (!(r <= ratio)) ratio = r;
            if (!(update <= estimate)) estimate = update;
        }
        if (link is not null)
        {
            Span<double> all = stackalloc double[] { ratio, estimate };
            link.Group.Max(all);
            (ratio, estimate) = (all[0], all[1]);
        }
        return new StopMeasure(ratio, estimate, LastRowError());
    }

    /// <summary>
    /// next holds the residual f(z) - z on entry and the next iterate on return: z + d with d solved from the
    /// residual, or, when that is not finite, the DEER form's solution from the start state.
    /// </summary>
    private void NewtonIterate()
    {
        fixed (T* pNext = next, pChain = chain, pOut = outputs, pZeros = zeros, pStart = nextStart)
        {
            T* z = pChain + rowSize;
            if (double.IsFinite(norm))
            {
                PcrRounds = Solve(pNext, pZeros, pStart);
                bool finite = true;
                for (int i = 0; i < next.Length; i++)
                {
                    pNext[i] += z[i];
                    finite &= T.IsFinite(pNext[i]);
                }
                for (int i = 0; i < rowSize; i++) pStart[i] += pChain[i]; // the start state moves by the correction before it
                if (link?.Group.All(finite) ?? finite) return;
            }
            // DEER form: c_l = f(z_{l-1}) - A_l z_{l-1}, from the start state.
            long rows = (long)count * batch;
            var blockValues = new T[block.Size];
            var negatedValues = new T[width];
            T normal = Limits<T>.SmallestNormal;
            fixed (T* a = blockValues, negated = negatedValues)
            for (long r = 0; r < rows; r++)
            {
                T* input = pChain + r * width;
                for (int i = 0; i < width; i++)
                {
                    negated[i] = -input[i];
                    pNext[r * width + i] = pOut[r * width + i];
                }
                block.Gather(jacobian, stride, r, a);
                block.ApplyAdd(a, negated, pNext + r * width, normal);
            }
            PcrRounds = Solve(pNext, pChain, pStart);
        }
    }

    /// <summary>
    /// z_l = A_l z_{l-1} + c_l over the run's rows from z0 (the whole chain's solve with a link); start (B, w) receives
    /// the solution's state before the run's first row.
    /// </summary>
    private int Solve(T* c, T* z0, T* start)
    {
        if (link is not null) return link.Solve(count, batch, block, jacobian, stride, c, z0, start);
        new Span<T>(z0, rowSize).CopyTo(new Span<T>(start, rowSize));
        return HostPcr.Solve(count, batch, block, jacobian, stride, c, z0, planes, chunk);
    }

    /// <summary>Per sample, the largest update of the last state: the error carried into the next window.</summary>
    private double[] LastRowError()
    {
        var final = new double[batch];
        if (count == 0) return final;
        var z = Z;
        int offset = (count - 1) * rowSize;
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < width; i++)
            {
                int k = offset + b * width + i;
                final[b] = Math.Max(final[b], double.CreateTruncating(T.Abs(next[k] - z[k])));
            }
        }
        return final;
    }

    /// <inheritdoc />
    public void ProposeNext()
    {
        next.CopyTo(Z);
        nextStart.CopyTo(chain, 0);
    }

    /// <inheritdoc />
    public void ProposeDamped(IReadOnlyList<double> lambda, double cutBound) =>
        throw new NotSupportedException("The host engine runs plain Newton steps; damped steps run on TorchSharp operations.");

    /// <inheritdoc />
    public IReadOnlyList<double> ProposeClipped(IReadOnlyList<double> radius, double cutBound) =>
        throw new NotSupportedException("The host engine runs plain Newton steps; clipped steps run on TorchSharp operations.");

    /// <inheritdoc />
    public Evaluation Accept(IReadOnlyList<bool> take)
    {
        if (!take.All(t => t)) throw new NotSupportedException("The host engine's plain steps are taken by every sample.");
        return new Evaluation(norm, null);
    }

    /// <summary>(B, w): the state before the run's first step (with a link: as the segment before it left it).</summary>
    public Tensor TakeStart() => HostTensors.From<T>(chain.AsSpan(0, rowSize), new long[] { batch, width }, dtype);

    /// <inheritdoc />
    public Tensor TakeStates() => HostTensors.From<T>(Z, new long[] { count, batch, width }, dtype);

    /// <inheritdoc />
    public void Dispose() => scratch.Dispose();
}
