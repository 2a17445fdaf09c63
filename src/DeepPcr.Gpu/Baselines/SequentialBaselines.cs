using ILGPU.Runtime;
using DeepPcr.Gpu.Engine;
using ILGPU;

namespace DeepPcr.Gpu.Baselines;

/// <summary>
/// The two sequential passes DeepPCR is measured against, both on the device, float32, queued on the one
/// stream without host synchronisation (the caller synchronises once at the end):
/// (a) per layer: one fused kernel per layer, L launches forward and L - 1 backward;
/// (b) persistent: one launch that walks all L layers, one group per sample, forward and backward.
/// Their backward passes end with the same batched input- and parameter-gradient kernels as DeepPCR's, so the
/// comparison is about the sequential part alone. States land in <see cref="ChainWorkspace.BaselineStates"/>,
/// state gradients in <see cref="ChainWorkspace.Lambda"/> (natural order), gradients in the gradient buffers.
/// </summary>
public static class SequentialBaselines
{
    /// <summary>(a) forward: L launches of the fused layer kernel.</summary>
    /// <param name="ws">The workspace.</param>
    public static void PerLayerForward(ChainWorkspace ws)
    {
        ArgumentNullException.ThrowIfNull(ws);
        var k = ws.Device.Kernels;
        var d = ws.Dims;
        for (int layer = 0; layer < d.Layers; layer++)
            k.LayerForward(ws.Device.Stream, d.Row, d, layer, ws.Input.View, ws.BaselineStates.View, ws.Weights.View, ws.Biases.View);
    }

    /// <summary>(a) backward: lambda_L = g, then L - 1 launches of the layer's transposed step, then the gradients.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="states">(L, B, w): the forward states.</param>
    public static void PerLayerBackward(ChainWorkspace ws, ArrayView<float> states)
    {
        ArgumentNullException.ThrowIfNull(ws);
        var k = ws.Device.Kernels;
        var d = ws.Dims;
        ws.Lambda.View.SubView((d.Layers - 1) * d.Row, d.Row).CopyFrom(ws.Device.Stream, ws.Cotangent.View);
        for (int layer = d.Layers - 1; layer >= 1; layer--)
            k.LayerBackward(ws.Device.Stream, d.Row, d, layer, states, ws.Weights.View, ws.Lambda.View);
        Gradients(ws, states);
    }

    /// <summary>(b) forward: one launch, one group per sample.</summary>
    /// <param name="ws">The workspace.</param>
    public static void PersistentForward(ChainWorkspace ws)
    {
        ArgumentNullException.ThrowIfNull(ws);
        var shape = LaunchShapes.Persistent(ws.Device.Accelerator, ws.Dims);
        ws.Device.Kernels.PersistentForward(ws.Device.Stream, shape, ws.Dims, ws.Input.View, ws.BaselineStates.View, ws.Weights.View, ws.Biases.View);
    }

    /// <summary>(b) backward: one launch for all state gradients, then the gradients.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="states">(L, B, w): the forward states.</param>
    public static void PersistentBackward(ChainWorkspace ws, ArrayView<float> states)
    {
        ArgumentNullException.ThrowIfNull(ws);
        var shape = LaunchShapes.Persistent(ws.Device.Accelerator, ws.Dims);
        ws.Device.Kernels.PersistentBackward(ws.Device.Stream, shape, ws.Dims, ws.Cotangent.View, states, ws.Weights.View, ws.Lambda.View);
        Gradients(ws, states);
    }

    private static void Gradients(ChainWorkspace ws, ArrayView<float> states)
    {
        var k = ws.Device.Kernels;
        var d = ws.Dims;
        k.InputGradient(ws.Device.Stream, d.Row, d, states, ws.Weights.View, ws.Lambda.View, 0, ws.InputGradient.View);
        k.ParameterGradients(ws.Device.Stream, d.Layers * d.Width * (d.Width + 1), d, ws.Input.View, states, ws.Lambda.View, 0, ws.WeightGradients.View, ws.BiasGradients.View);
    }
}
