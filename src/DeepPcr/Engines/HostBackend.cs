using System.Numerics;
using DeepPcr.Chains;
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
/// </summary>
internal sealed unsafe class HostBackend<T> : IChainBackend where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IHostChainStep step;
    private readonly int first, count, batch, width, rowSize, chunk;
    private readonly HostBlock block;
    private readonly long stride;
    private readonly ScalarType dtype;
    // chain = [z_0; z_1..z_n]: the inputs of the steps are its first n rows, the iterate its last n rows.
    private readonly T[] chain, outputs, next, zeros;
    private readonly HostScratch scratch;
    private readonly T* jacobian, planes;
    private double norm;

    /// <summary>A run over steps first..first+count-1 from <paramref name="start"/> (B, w) and <paramref name="guess"/> (count, B, w).</summary>
    public HostBackend(IHostChainStep step, int first, Tensor start, Tensor guess, int chunk)
    {
        this.step = step;
        this.first = first;
        count = (int)guess.shape[0];
        batch = (int)start.shape[0];
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
        scratch = HostScratch.Lease((block.Size * stride + HostPcr.ScratchFor<T>(width, stride)) * sizeof(T));
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
        step.EvaluateOnHost<T>(first, batch, chain.AsSpan(0, count * rowSize), outputs, new Span<T>(jacobian, (int)(block.Size * stride)), stride);
        var z = Z;
        norm = 0;
        for (int i = 0; i < next.Length; i++)
        {
            T r = outputs[i] - z[i];
            next[i] = r;
            double magnitude = double.CreateTruncating(T.Abs(r));
            if (!(magnitude <= norm)) norm = magnitude; // NaN sticks
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
        return new StopMeasure(ratio, estimate, LastRowError());
    }

    /// <summary>
    /// next holds the residual f(z) - z on entry and the next iterate on return: z + d with d solved from the
    /// residual, or, when that is not finite, the DEER form's solution from the start state.
    /// </summary>
    private void NewtonIterate()
    {
        fixed (T* pNext = next, pChain = chain, pOut = outputs, pZeros = zeros)
        {
            T* z = pChain + rowSize;
            if (double.IsFinite(norm))
            {
                PcrRounds = HostPcr.Solve(count, batch, block, jacobian, stride, pNext, pZeros, planes, chunk);
                bool finite = true;
                for (int i = 0; i < next.Length; i++)
                {
                    pNext[i] += z[i];
                    finite &= T.IsFinite(pNext[i]);
                }
                if (finite) return;
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
            PcrRounds = HostPcr.Solve(count, batch, block, jacobian, stride, pNext, pChain, planes, chunk);
        }
    }

    /// <summary>Per sample, the largest update of the last state: the error carried into the next window.</summary>
    private double[] LastRowError()
    {
        var final = new double[batch];
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
    public void ProposeNext() => next.CopyTo(Z);

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

    /// <inheritdoc />
    public Tensor TakeStates() => HostTensors.From<T>(Z, new long[] { count, batch, width }, dtype);

    /// <inheritdoc />
    public void Dispose() => scratch.Dispose();
}
