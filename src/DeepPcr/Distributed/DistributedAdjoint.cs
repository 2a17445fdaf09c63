using System.Numerics;
using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Linear.Kernels;
using DeepPcr.Newton;
using static TorchSharp.torch;

namespace DeepPcr.Distributed;

/// <summary>
/// The backward pass's backend for one rank's segment of a chain split across ranks. With v_l = J_l^T lambda_l (the
/// cotangent a step hands to its input), lambda_l = v_{l+1} + g_l and v_l = J_l^T v_{l+1} + J_l^T g_l: every block of
/// this reversed recurrence is a Jacobian the rank holds, and only v at the segment's start crosses to the rank before.
/// The reversed chain is solved by <see cref="RankLink{T}"/> in reverse rank order (the last rank's segment starts it
/// with v_{L+1} = 0), by PCR across ranks or rank after rank for the sequential fallback.
/// </summary>
internal sealed unsafe class DistributedAdjoint<T> : IAdjointBackend, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IHostChainStep segment;
    private readonly RankLink<T> link;
    private readonly int first, rows, batch, width, rowSize;
    private readonly HostBlock block;
    private readonly long stride;
    private readonly ScalarType dtype;
    private readonly T[] chain, cotangents, outputs, v, after, zeros;
    private readonly HostScratch scratch;
    private readonly T* jacobian, reversed;
    private T[]? lambda;

    /// <summary>The backend for a segment's states (n, B, w) after <paramref name="start"/> (B, w), with their cotangents (n, B, w).</summary>
    /// <param name="segment">The chain that holds the segment's steps, from step <paramref name="first"/> on.</param>
    /// <param name="first">The segment's first step in <paramref name="segment"/>'s numbering (0 for a segment of its own).</param>
    /// <param name="link">The reversed link over the ranks.</param>
    /// <param name="width">w.</param>
    /// <param name="start">(B, w): the state before the segment.</param>
    /// <param name="states">(n, B, w).</param>
    /// <param name="cotangents">(n, B, w): g of each state.</param>
    public DistributedAdjoint(IHostChainStep segment, int first, RankLink<T> link, int width, Tensor start, Tensor states, Tensor cotangents)
    {
        this.segment = segment;
        this.first = first;
        this.link = link;
        rows = (int)states.size(0);
        batch = (int)start.size(0);
        this.width = width;
        rowSize = batch * width;
        block = BlockStructure.Of(segment).HostBlock(width);
        dtype = start.dtype;
        stride = HostPcr.StrideFor<T>((long)rows * batch);
        chain = HostTensors.Chain<T>(start, states);
        this.cotangents = new T[rows * rowSize];
        HostTensors.CopyTo(cotangents, this.cotangents);
        outputs = new T[rows * rowSize];
        v = new T[rows * rowSize];
        after = new T[rowSize];
        zeros = new T[rowSize];
        scratch = HostScratch.Lease(2 * block.Size * stride * sizeof(T));
        jacobian = (T*)scratch.Pointer;
        reversed = jacobian + block.Size * stride;
    }

    /// <summary>(n, B, w): lambda of this segment's states, after the solve.</summary>
    public Tensor Lambda => HostTensors.From<T>(lambda, new long[] { rows, batch, width }, dtype);

    /// <summary>(B, w): J_1^T lambda_1 on the rank whose segment starts the chain, else null.</summary>
    public Tensor? InputGradient { get; private set; }

    /// <summary>This segment's parameter gradients from its host method, or null when it has none (or no steps).</summary>
    public IReadOnlyList<Tensor>? ParameterGradients { get; private set; }

    /// <summary>(n, B, I): dLoss/dx of this segment's step inputs where the step is driven (<see cref="IHostDrivenChainStep"/>)
    /// and a segment of its own, else null.</summary>
    public Tensor? StepInputGradients { get; private set; }

    /// <inheritdoc />
    public void Linearize()
    {
        if (rows > 0) segment.EvaluateOnHost<T>(first, batch, chain.AsSpan(0, rows * rowSize), outputs, new Span<T>(jacobian, (int)(block.Size * stride)), stride);
    }

    /// <inheritdoc />
    public int SolveReversed(bool sequential)
    {
        Reverse();
        int rounds = 0;
        fixed (T* pv = v, pz = zeros, pAfter = after)
        {
            if (sequential) link.SolveInOrder(rows, batch, block, reversed, stride, pv, pz, pAfter);
            else rounds = link.Solve(rows, batch, block, reversed, stride, pv, pz, pAfter);
        }
        // Reversed row k is step j = n - 1 - k; lambda_j = v_{j+1} + g_j with v_n = the v handed over from the next segment.
        lambda = new T[rows * rowSize];
        for (int j = 0; j < rows; j++)
        {
            var next = j == rows - 1 ? after.AsSpan() : v.AsSpan((rows - 2 - j) * rowSize, rowSize);
            for (int i = 0; i < rowSize; i++) lambda[j * rowSize + i] = next[i] + cotangents[j * rowSize + i];
        }
        return rounds;
    }

    /// <summary>Reversed row k holds J_j^T of step j = n - 1 - k, and its right-hand side J_j^T g_j goes to v.</summary>
    private void Reverse()
    {
        int size = block.Size;
        var values = new T[2 * size];
        fixed (T* a = values, pv = v, pg = cotangents)
        {
            T* transposed = a + size;
            for (int k = 0; k < rows; k++)
            {
                int j = rows - 1 - k;
                for (int b = 0; b < batch; b++)
                {
                    long from = (long)j * batch + b, to = (long)k * batch + b;
                    block.Gather(jacobian, stride, from, a);
                    for (int e = 0; e < size; e++) transposed[block.Transposed(e)] = a[e];
                    for (int e = 0; e < size; e++) reversed[e * stride + to] = transposed[e];
                    for (int i = 0; i < width; i++) pv[to * width + i] = T.Zero;
                    block.ApplyAdd(transposed, pg + from * width, pv + to * width, Limits<T>.SmallestNormal);
                }
            }
        }
    }

    /// <inheritdoc />
    public bool Finite
    {
        get
        {
            bool finite = true;
            foreach (var value in lambda!) finite &= T.IsFinite(value);
            foreach (var value in after) finite &= T.IsFinite(value);
            return link.Group.All(finite);
        }
    }

    /// <inheritdoc />
    public void Gradients()
    {
        // v of the segment's first step, J_first^T lambda_first, is the input gradient where the segment starts the chain.
        if (link.Group.Rank == 0) InputGradient = HostTensors.From<T>(rows == 0 ? after : v.AsSpan((rows - 1) * rowSize, rowSize), new long[] { batch, width }, dtype);
        bool own = rows > 0 && first == 0 && segment.Length == rows;
        var inputs = chain.AsSpan(0, rows * rowSize);
        if (own && segment is IHostDrivenChainStep driven)
        {
            (ParameterGradients, StepInputGradients) = driven.GradientsOnHost<T>(batch, inputs, outputs, lambda);
        }
        else
        {
            ParameterGradients = own && segment is IHostDifferentiableChainStep differentiable
                ? differentiable.ParameterGradientsOnHost<T>(batch, inputs, outputs, lambda)
                : null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => scratch.Dispose();
}
