using ILGPU.Runtime;
using ILGPU;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// DeepPCR's backward pass on the device (DESIGN.md section 1.3): the adjoint recurrence is linear, so it is
/// one PCR solve on the reversed chain u_0 = g, u_r = J_{L-r}^T u_{r-1} (u_r = lambda_{L-r}), no Newton
/// iteration; then the input gradient J_0^T lambda_1 and every layer's parameter gradients in parallel
/// (<see cref="Kernels.GradientKernels"/>). Launches: one for the transposed blocks, ceil(log2 L) rounds,
/// two for the gradients, and two copies (one launch in all on the one-group path); no host synchronisation.
/// </summary>
public static class AdjointBackward
{
    /// <summary>Queues the backward pass at the given states; gradients land in the workspace's gradient buffers.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="states">(L, B, w): the accepted forward states (normally <see cref="ChainWorkspace.States"/>).</param>
    /// <param name="options">Chooses the PCR thread mapping.</param>
    /// <returns>The view holding the state gradients in reversed order (row r = lambda_{L-r}), valid until the next solve.</returns>
    public static ArrayView<float> Run(ChainWorkspace ws, ArrayView<float> states, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(ws);
        ArgumentNullException.ThrowIfNull(options);
        var k = ws.Device.Kernels;
        var stream = ws.Device.Stream;
        var d = ws.Dims;
        if (options.UsesOneGroup(d))
        {
            k.OneGroupBackward(stream, k.OneGroupBackwardShape, ws.Views, states, d);
            return DevicePcr.RoundsFor(d.Layers) % 2 == 0 ? ws.RhsA.View : ws.RhsB.View;
        }
        k.ReversedTransposedJacobian(stream, (int)d.Blocks, d, states, ws.Weights.View, ws.BlocksA.View);
        ws.RhsA.View.MemSetToZero(stream);
        ws.RhsA.View.SubView(0, d.Row).CopyFrom(stream, ws.Cotangent.View);
        var reversed = DevicePcr.Solve(ws, null, options);
        k.InputGradient(stream, d.Row, d, states, ws.Weights.View, reversed, 1, ws.InputGradient.View);
        k.ParameterGradients(stream, d.Layers * d.Width * (d.Width + 1), d, ws.Input.View, states, reversed, 1, ws.WeightGradients.View, ws.BiasGradients.View);
        return reversed;
    }
}
