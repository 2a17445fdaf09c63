using DeepPcr.Gpu.Reference;

namespace DeepPcr.Gpu.Engine;

/// <summary>Reads the last backward pass's gradients from a workspace into a float64 <see cref="Gradients"/>.</summary>
public static class DeviceGradients
{
    /// <summary>Copies the input, weight and bias gradients back (the state gradients are left at zero: each method keeps them in its own layout).</summary>
    /// <param name="ws">The workspace.</param>
    /// <returns>The gradients.</returns>
    public static Gradients Read(ChainWorkspace ws)
    {
        ArgumentNullException.ThrowIfNull(ws);
        var d = ws.Dims;
        var grads = new Gradients(d.Layers, d.Batch, d.Width);
        ws.Read(ws.InputGradient.View).CopyTo(grads.InputGradient, 0);
        ws.Read(ws.WeightGradients.View).CopyTo(grads.WeightGradients, 0);
        ws.Read(ws.BiasGradients.View).CopyTo(grads.BiasGradients, 0);
        return grads;
    }
}
