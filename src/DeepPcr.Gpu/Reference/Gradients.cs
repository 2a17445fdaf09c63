namespace DeepPcr.Gpu.Reference;

/// <summary>The results of a backward pass, in float64 (host reference) or read back from the device.</summary>
public sealed class Gradients
{
    /// <summary>Zero gradients of the given sizes.</summary>
    /// <param name="layers">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    public Gradients(int layers, int batch, int width)
    {
        StateGradients = new double[(long)layers * batch * width];
        InputGradient = new double[batch * width];
        WeightGradients = new double[(long)layers * width * width];
        BiasGradients = new double[(long)layers * width];
    }

    /// <summary>(L, B, w): lambda_{k+1} = dLoss/dz_{k+1} at row k.</summary>
    public double[] StateGradients { get; }

    /// <summary>(B, w): dLoss/dz_0.</summary>
    public double[] InputGradient { get; }

    /// <summary>(L, w, w): dLoss/dW_k.</summary>
    public double[] WeightGradients { get; }

    /// <summary>(L, w): dLoss/db_k.</summary>
    public double[] BiasGradients { get; }

    /// <summary>
    /// max |this - reference| / max |reference| pooled over the input gradient and every weight and bias
    /// gradient (docs/measuring.md: per-tensor errors are meaningless at depth).
    /// </summary>
    /// <param name="reference">The float64 reference.</param>
    /// <returns>The pooled relative error (infinity on a non-finite value).</returns>
    public double MaxRelativeError(Gradients reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return ErrorMeasure.PooledRelative(
            [InputGradient, WeightGradients, BiasGradients],
            [reference.InputGradient, reference.WeightGradients, reference.BiasGradients]);
    }
}
