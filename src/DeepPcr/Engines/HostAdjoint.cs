using System.Numerics;
using DeepPcr.Chains;
using DeepPcr.Linear.Kernels;
using DeepPcr.Newton;
using static TorchSharp.torch;

namespace DeepPcr.Engines;

/// <summary>
/// The backward pass's backend in host memory, for steps with host kernels (<see cref="IHostChainStep"/>) on CPU
/// float32/float64: the Jacobians at the accepted states come from <see cref="IHostChainStep.EvaluateOnHost{T}"/> in the
/// planar layout, are transposed and reversed there, and the reversed chain is one dense PCR solve (or, as the fallback,
/// chunked PCR with one chunk: row by row); the same numbers as the torch backend without a framework call per
/// operation. Parameter gradients come from the step's host method when it has one (reusing the evaluated outputs).
/// </summary>
internal sealed unsafe class HostAdjoint<T> : IAdjointBackend, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IHostChainStep step;
    private readonly int length, batch, width, rowSize, block;
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
        batch = (int)input.shape[0];
        width = step.Width;
        rowSize = batch * width;
        block = width * width;
        dtype = input.dtype;
        stride = HostPcr.StrideFor<T>((long)length * batch);
        chain = new T[(length + 1) * rowSize];
        HostTensors.CopyTo(input, chain.AsSpan(0, rowSize));
        HostTensors.CopyTo(states, chain.AsSpan(rowSize));
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
        scratch = HostScratch.Lease((2 * block * stride + HostPcr.ScratchFor<T>(width, stride)) * sizeof(T));
        jacobian = (T*)scratch.Pointer;
        reversed = jacobian + block * stride;
        planes = reversed + block * stride;
    }

    /// <summary>(L, B, w): lambda, after the solve.</summary>
    public Tensor Lambda => HostTensors.From<T>(lambda, new long[] { length, batch, width }, dtype);

    /// <summary>(B, w): J_1^T lambda_1, after <see cref="Gradients"/>.</summary>
    public Tensor? InputGradient { get; private set; }

    /// <summary>The parameter gradients from the step's host method, or null when it has none.</summary>
    public IReadOnlyList<Tensor>? ParameterGradients { get; private set; }

    /// <inheritdoc />
    public void Linearize()
    {
        step.EvaluateOnHost<T>(0, batch, chain.AsSpan(0, length * rowSize), outputs, new Span<T>(jacobian, (int)(block * stride)), stride);
        // Reversed row k >= 1 holds J^T of step L - k; row 0 has no predecessor (its start state is 0).
        for (int i = 0; i < width; i++)
        {
            for (int j = 0; j < width; j++)
            {
                T* target = reversed + (i * width + j) * stride;
                T* source = jacobian + (j * width + i) * stride;
                for (int b = 0; b < batch; b++) target[b] = T.Zero;
                for (long k = 1; k < length; k++)
                {
                    T* from = source + (length - k) * batch, to = target + k * batch;
                    for (int b = 0; b < batch; b++) to[b] = from[b];
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
            rounds = HostPcr.SolveDense(length, batch, width, reversed, stride, pc, pz, planes, chunk: sequential ? length : 0);
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
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < width; j++)
            {
                T sum = T.Zero;
                for (int i = 0; i < width; i++) sum += jacobian[(i * width + j) * stride + b] * lambda![b * width + i];
                inputGradient[b * width + j] = sum;
            }
        }
        InputGradient = HostTensors.From<T>(inputGradient, new long[] { batch, width }, dtype);
        ParameterGradients = step is IHostDifferentiableChainStep differentiable
            ? differentiable.ParameterGradientsOnHost<T>(batch, chain.AsSpan(0, length * rowSize), outputs, lambda)
            : null;
    }

    /// <inheritdoc />
    public void Dispose() => scratch.Dispose();
}
