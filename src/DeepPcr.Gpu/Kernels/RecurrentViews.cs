using ILGPU;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// Every buffer of a recurrent workspace as one kernel argument (ILGPU passes structs of views by value). Shapes as
/// in <see cref="RecurrentDims"/>.
/// </summary>
public struct RecurrentViews
{
    /// <summary>(T, B, I): the input.</summary>
    public ArrayView<float> Input;

    /// <summary>[3H, I].</summary>
    public ArrayView<float> WeightIh;

    /// <summary>[3H]: the diagonal recurrent weights.</summary>
    public ArrayView<float> WeightHh;

    /// <summary>[3H].</summary>
    public ArrayView<float> BiasIh;

    /// <summary>[3H].</summary>
    public ArrayView<float> BiasHh;

    /// <summary>(B, S): the initial state z_0 = (h_0, c_0).</summary>
    public ArrayView<float> Initial;

    /// <summary>(T, B, H): dLoss/dh_t.</summary>
    public ArrayView<float> Cotangent;

    /// <summary>(T, B, 3H): W_ih x_t + b_ih for every step, computed once before the solve.</summary>
    public ArrayView<float> Projected;

    /// <summary>(T, B, S): the current iterate; after a forward solve, the accepted states.</summary>
    public ArrayView<float> States;

    /// <summary>(T, B, S): the next iterate.</summary>
    public ArrayView<float> Next;

    /// <summary>(T, B, S): f_t(z_{t-1}).</summary>
    public ArrayView<float> Outputs;

    /// <summary>(T, B, H, k, k): PCR blocks, first of the pair.</summary>
    public ArrayView<float> BlocksA;

    /// <summary>(T, B, H, k, k): PCR blocks, second of the pair.</summary>
    public ArrayView<float> BlocksB;

    /// <summary>(T, B, S): PCR right-hand side, first of the pair.</summary>
    public ArrayView<float> RhsA;

    /// <summary>(T, B, S): PCR right-hand side, second of the pair.</summary>
    public ArrayView<float> RhsB;

    /// <summary>(T, B, 3H): dLoss/d(input pre-activation) per gate.</summary>
    public ArrayView<float> DeltaX;

    /// <summary>(T, B, 3H): dLoss/d(w_hh ⊙ h + b_hh) per gate (the n gate's is r times its input delta).</summary>
    public ArrayView<float> DeltaH;

    /// <summary>(T, B, I): dLoss/dx.</summary>
    public ArrayView<float> InputGradient;

    /// <summary>(B, S): dLoss/dz_0.</summary>
    public ArrayView<float> InitialGradient;

    /// <summary>[3H, I].</summary>
    public ArrayView<float> WeightIhGradient;

    /// <summary>[3H].</summary>
    public ArrayView<float> WeightHhGradient;

    /// <summary>[3H].</summary>
    public ArrayView<float> BiasIhGradient;

    /// <summary>[3H].</summary>
    public ArrayView<float> BiasHhGradient;

    /// <summary>(chunks, 3H, I + 3): float64 partial sums of the parameter gradients over chunks of (t, b) rows.</summary>
    public ArrayView<double> Partials;

    /// <summary><see cref="NewtonKernels.FlagCount"/> ints: the stopping test's slots, and the finiteness flag of the backward pass.</summary>
    public ArrayView<int> Flags;
}
