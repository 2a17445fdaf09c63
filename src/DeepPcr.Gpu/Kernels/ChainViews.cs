using ILGPU;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// Every buffer of a workspace as one kernel argument (ILGPU passes structs of views by value), for the
/// one-group kernels that touch most of them. Shapes as in <see cref="Engine.ChainWorkspace"/>.
/// </summary>
public struct ChainViews
{
    /// <summary>(B, w): z_0.</summary>
    public ArrayView<float> Input;

    /// <summary>(B, w): dLoss/dz_L.</summary>
    public ArrayView<float> Cotangent;

    /// <summary>(L, B, w): the current iterate.</summary>
    public ArrayView<float> States;

    /// <summary>(L, B, w): the next iterate.</summary>
    public ArrayView<float> Next;

    /// <summary>(L, w, w).</summary>
    public ArrayView<float> Weights;

    /// <summary>(L, w).</summary>
    public ArrayView<float> Biases;

    /// <summary>(L, B, w): f_k(z_k).</summary>
    public ArrayView<float> Outputs;

    /// <summary>(L, B, w): act' at the pre-activations.</summary>
    public ArrayView<float> Derivatives;

    /// <summary>(L, B, w, w): PCR blocks, first of the pair.</summary>
    public ArrayView<float> BlocksA;

    /// <summary>(L, B, w, w): PCR blocks, second of the pair.</summary>
    public ArrayView<float> BlocksB;

    /// <summary>(L, B, w): PCR right-hand side, first of the pair.</summary>
    public ArrayView<float> RhsA;

    /// <summary>(L, B, w): PCR right-hand side, second of the pair.</summary>
    public ArrayView<float> RhsB;

    /// <summary>(L, w, w): dLoss/dW.</summary>
    public ArrayView<float> WeightGradients;

    /// <summary>(L, w): dLoss/db.</summary>
    public ArrayView<float> BiasGradients;

    /// <summary>(B, w): dLoss/dz_0.</summary>
    public ArrayView<float> InputGradient;

    /// <summary><see cref="NewtonKernels.FlagCount"/> ints: the stopping test's measure (ratio, residual, update, rounds) and the device loop's status.</summary>
    public ArrayView<int> Flags;

    /// <summary>(L + 1, <see cref="NewtonKernels.HistoryStride"/>): the residual and update max-norms per iteration of one device-loop launch.</summary>
    public ArrayView<float> History;
}
