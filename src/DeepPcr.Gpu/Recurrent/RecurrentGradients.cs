using DeepPcr.Gpu.Reference;

namespace DeepPcr.Gpu.Recurrent;

/// <summary>The gradients of a recurrent layer's backward pass, float64 (reference) or read back from the device.</summary>
public sealed class RecurrentGradients
{
    /// <summary>Zero gradients for a model and problem.</summary>
    /// <param name="model">The model.</param>
    /// <param name="batch">B.</param>
    /// <param name="length">T.</param>
    public RecurrentGradients(RecurrentModel model, int batch, int length)
    {
        ArgumentNullException.ThrowIfNull(model);
        int gates = RecurrentCells.Gates * model.Hidden;
        Input = new double[(long)batch * length * model.InputSize];
        InitialState = new double[(long)batch * model.StateWidth];
        WeightIh = new double[(long)gates * model.InputSize];
        WeightHh = new double[gates];
        BiasIh = new double[gates];
        BiasHh = new double[gates];
    }

    /// <summary>[B, T, I]: dLoss/dx.</summary>
    public double[] Input { get; }

    /// <summary>[B, S]: dLoss/d(h_0, c_0).</summary>
    public double[] InitialState { get; }

    /// <summary>[3H, I].</summary>
    public double[] WeightIh { get; }

    /// <summary>[3H].</summary>
    public double[] WeightHh { get; }

    /// <summary>[3H].</summary>
    public double[] BiasIh { get; }

    /// <summary>[3H].</summary>
    public double[] BiasHh { get; }

    /// <summary>Every gradient in a fixed order: input, initial state, weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    public double[][] All => [Input, InitialState, WeightIh, WeightHh, BiasIh, BiasHh];

    /// <summary>The largest pooled relative error of any one gradient tensor against the reference (each tensor pooled on its own, so a small tensor's error is not hidden by a large one's scale).</summary>
    /// <param name="reference">The float64 reference.</param>
    /// <returns>max over tensors of max |delta| / max |ref| (infinity on a non-finite value).</returns>
    public double MaxRelativeError(RecurrentGradients reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return All.Zip(reference.All, ErrorMeasure.PooledRelative).Max();
    }
}
