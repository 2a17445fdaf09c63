using System.Numerics;
using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Linear.Kernels;
using DeepPcr.Newton;
using static TorchSharp.torch;

namespace DeepPcr.Engines;

/// <summary>
/// The backward pass's backend in host memory, for steps with host kernels (<see cref="IHostChainStep"/>) on CPU
/// float32/float64: the Jacobians at the accepted states come from <see cref="IHostChainStep.EvaluateOnHost{T}"/> in the
/// planar layout of the step's declared structure, are transposed and reversed there, and the reversed chain is one PCR solve (or row by row, for
/// the sequential backward pass and the fallback); the same numbers as the torch backend without a framework call per
/// operation. Parameter gradients come from the step's host method when it has one (reusing the evaluated outputs).
/// </summary>
internal sealed unsafe class HostAdjoint<T> : IAdjointBackend, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IHostChainStep step;
    private readonly int length, batch, width, rowSize;
    private readonly HostBlock block;
    private readonly long stride;
    private readonly ScalarType dtype;
    private readonly T[] chain, cotangents, c, outputs, zeros;
    private readonly HostScratch scratch;
    private readonly T* jacobian, reversed, planes;
    private T[]? lambda;

    /// <summary>The backend for states (L, B, w) from input (B, w) and cotangents: (L, B, w), or (B, w) on the final state only.</summary>
    public HostAdjoint(IHostChainStep step, Tensor input, Tensor states, Tensor cotangents)
    {
        this.step = step;
        length = step.Length;
        batch = (int)input.size(0);
        width = step.Width;
        rowSize = batch * width;
        block = BlockStructure.Of(step).HostBlock(width);
        dtype = input.dtype;
        stride = HostPcr.StrideFor<T>((long)length * batch);
        chain = HostTensors.Chain<T>(input, states);
        // The reversed chain's right-hand sides: row k holds the cotangent of state L - k.
        this.cotangents = new T[length * rowSize];
        if (cotangents.dim() == 2)
        {
            HostTensors.CopyTo(cotangents, this.cotangents.AsSpan(0, rowSize));
        }
        else
        {
            var given = new T[length * rowSize];
            HostTensors.CopyTo(cotangents, given);
            for (int k = 0; k < length; k++) given.AsSpan((length - 1 - k) * rowSize, rowSize).CopyTo(this.cotangents.AsSpan(k * rowSize, rowSize));
        }
        c = new T[length * rowSize];
        outputs = new T[length * rowSize];
        zeros = new T[rowSize];
        scratch = HostScratch.Lease((2 * block.Size * stride + HostPcr.ScratchFor<T>(block, stride)) * sizeof(T));
        jacobian = (T*)scratch.Pointer;
        reversed = jacobian + block.Size * stride;
        planes = reversed + block.Size * stride;
    }

    /// <summary>(L, B, w): lambda, after the solve.</summary>
    public Tensor Lambda => HostTensors.From<T>(lambda, new long[] { length, batch, width }, dtype);

    /// <summary>(B, w): J_1^T lambda_1, after <see cref="Gradients"/>.</summary>
    public Tensor? InputGradient { get; private set; }

    /// <summary>(L, B, I): the step-input gradients of an <see cref="IHostDrivenChainStep"/>, else null.</summary>
    public Tensor? StepInputGradients { get; private set; }

    /// <summary>The parameter gradients from the step's host method, or null when it has none.</summary>
    public IReadOnlyList<Tensor>? ParameterGradients { get; private set; }

    /// <inheritdoc />
    public void Linearize() =>
        step.EvaluateOnHost<T>(0, batch, chain.AsSpan(0, length * rowSize), outputs, new Span<T>(jacobian, (int)(block.Size * stride)), stride);

    /// <summary>Reversed row k &gt;= 1 holds J^T of step L - k; row 0 has no predecessor (its start state is 0).</summary>
    private void Reverse()
    {
        for (int e = 0; e < block.Size; e++)
        {
            T* target = reversed + e * stride;
            T* source = jacobian + block.Transposed(e) * stride;
            for (int b = 0; b < batch; b++) target[b] = T.Zero;
            for (long k = 1; k < length; k++)
            {
                T* from = source + (length - k) * batch, to = target + k * batch;
                for (int b = 0; b < batch; b++) to[b] = from[b];
            }
        }
    }

    /// <summary>y += J^T x for the Jacobian of lane r (its transposed block gathered into <paramref name="transposed"/>).</summary>
    private void ApplyTransposedAdd(long r, T* transposed, T* x, T* y)
    {
        for (int e = 0; e < block.Size; e++) transposed[e] = jacobian[block.Transposed(e) * stride + r];
        block.ApplyAdd(transposed, x, y, Limits<T>.SmallestNormal);
    }

    /// <summary>
    /// The reversed chain row by row, reading the transposed Jacobians in place: u_k = c_k + J_{L-k}^T u_{k-1}, u_0 = c_0.
    /// </summary>
    private void SolveSequentially(T* u)
    {
        var values = new T[block.Size];
        fixed (T* transposed = values)
        {
            for (long k = 1; k < length; k++)
            {
                for (int b = 0; b < batch; b++)
                {
                    // J of step L - k, sample b.
                    ApplyTransposedAdd((length - k) * batch + b, transposed, u + ((k - 1) * batch + b) * width, u + (k * batch + b) * width);
                }
            }
        }
    }

    /// <inheritdoc />
    public int SolveReversed(bool sequential)
    {
        cotangents.CopyTo(c, 0);
        int rounds;
        fixed (T* pc = c, pz = zeros)
        {
            if (sequential)
            {
                SolveSequentially(pc);
                rounds = 0;
            }
            else
            {
                Reverse();
                rounds = HostPcr.Solve(length, batch, block, reversed, stride, pc, pz, planes);
            }
        }
        lambda = new T[length * rowSize];
        for (int k = 0; k < length; k++) c.AsSpan((length - 1 - k) * rowSize, rowSize).CopyTo(lambda.AsSpan(k * rowSize, rowSize));
        return sequential ? 0 : rounds;
    }

    /// <inheritdoc />
    public bool Finite
    {
        get
        {
            foreach (var v in lambda!)
            {
                if (!T.IsFinite(v)) return false;
            }
            return true;
        }
    }

    /// <inheritdoc />
    public void Gradients()
    {
        // Input gradient: J_1^T lambda_1, step 0's Jacobian at z_0 (lanes 0..B-1).
        var inputGradient = new T[rowSize];
        var values = new T[block.Size];
        fixed (T* transposed = values, pl = lambda, pg = inputGradient)
        {
            for (int b = 0; b < batch; b++) ApplyTransposedAdd(b, transposed, pl + b * width, pg + b * width);
        }
        InputGradient = HostTensors.From<T>(inputGradient, new long[] { batch, width }, dtype);
        var inputs = chain.AsSpan(0, length * rowSize);
        if (step is IHostDrivenChainStep driven)
        {
            (ParameterGradients, StepInputGradients) = driven.GradientsOnHost<T>(batch, inputs, outputs, lambda);
            return;
        }
        ParameterGradients = step is IHostDifferentiableChainStep differentiable
            ? differentiable.ParameterGradientsOnHost<T>(batch, inputs, outputs, lambda)
            : null;
    }

    /// <inheritdoc />
    public void Dispose() => scratch.Dispose();
}
