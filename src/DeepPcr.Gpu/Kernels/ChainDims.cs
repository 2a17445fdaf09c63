namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// The sizes of a chain problem as the kernels see them (a blittable kernel argument): L layers, B samples,
/// width w, and the activation as an int (<see cref="Model.MlpActivation"/>). Device layouts, all row-major
/// float32: weights (L, w, w), biases (L, w), input and cotangent (B, w), states and residuals (L, B, w),
/// Jacobian blocks (L, B, w, w).
/// </summary>
public readonly struct ChainDims
{
    /// <summary>Creates the dims.</summary>
    /// <param name="layers">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="activation">The activation as an int.</param>
    public ChainDims(int layers, int batch, int width, int activation)
    {
        Layers = layers;
        Batch = batch;
        Width = width;
        Activation = activation;
    }

    /// <summary>L.</summary>
    public readonly int Layers;

    /// <summary>B.</summary>
    public readonly int Batch;

    /// <summary>w.</summary>
    public readonly int Width;

    /// <summary>0 tanh, 1 relu, 2 identity.</summary>
    public readonly int Activation;

    /// <summary>B w: the values of one state row.</summary>
    public int Row => Batch * Width;

    /// <summary>L B w: the values of all states.</summary>
    public int States => Layers * Batch * Width;

    /// <summary>L B w^2: the values of all Jacobian blocks.</summary>
    public long Blocks => (long)Layers * Batch * Width * Width;
}
