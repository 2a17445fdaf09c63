using DeepPcr.Gpu.Kernels;
using DeepPcr.Newton;
using DeepPcr.Solvers;
using ILGPU;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>What a device backward pass did and where its state gradients are.</summary>
/// <param name="Run">The core's record: PCR rounds, the fallback (sequential when PCR's lambda was not finite), finiteness.</param>
/// <param name="Lambda">(L, B, w): the state gradients, valid until the next solve.</param>
/// <param name="Reversed">True when row r holds lambda_{L-r} (PCR's reversed chain), false for natural order (row k holds lambda_{k+1}: the sequential solve).</param>
public sealed record DeviceAdjoint(AdjointRun Run, ArrayView<float> Lambda, bool Reversed);

/// <summary>
/// DeepPCR's backward pass on the device (DESIGN.md section 1.3), as a backend of the core's one backward pass
/// (<see cref="AdjointPass"/>, as the host engine's): the adjoint recurrence is linear, so it is one PCR solve on the
/// reversed chain u_0 = g, u_r = J_{L-r}^T u_{r-1} (u_r = lambda_{L-r}), no Newton iteration; then the input gradient
/// J_0^T lambda_1 and every layer's parameter gradients in parallel (<see cref="GradientKernels"/>). If PCR's lambda is
/// not finite, the pass solves the chain again row by row (the persistent sequential kernel) and says so.
/// Launches: one for the transposed blocks, ceil(log2 L) rounds, two for the gradients (on the one-group path, one
/// launch for all of them), then the finiteness check: one small launch and one int read back, the pass's one host
/// synchronisation (the decision on the fallback is the core's, on the host; a check inside the one launch would
/// have to repeat that decision in the kernel, so the readback is accepted: one sync per backward pass).
/// </summary>
public static class AdjointBackward
{
    /// <summary>Runs the backward pass at the given states; gradients land in the workspace's gradient buffers.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="states">(L, B, w): the accepted forward states (normally <see cref="ChainWorkspace.States"/>).</param>
    /// <param name="options">Chooses the PCR thread mapping.</param>
    /// <param name="sequential">Solve row by row from the start (the sequential backward pass over the stored states).</param>
    /// <returns>The run and the state gradients' view and order.</returns>
    public static DeviceAdjoint Run(ChainWorkspace ws, ArrayView<float> states, EngineOptions options, bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(ws);
        ArgumentNullException.ThrowIfNull(options);
        var backend = new MlpAdjoint(ws, states, options);
        var run = AdjointPass.Run(backend, sequential);
        return new DeviceAdjoint(run, backend.Lambda, backend.Reversed);
    }

    /// <summary>The MLP chain as an <see cref="IAdjointBackend"/>.</summary>
    private sealed class MlpAdjoint(ChainWorkspace ws, ArrayView<float> states, EngineOptions options) : IAdjointBackend
    {
        private bool _gradientsDone;

        public ArrayView<float> Lambda { get; private set; }

        public bool Reversed { get; private set; }

        private bool OneGroup => options.UsesOneGroup(ws.Dims);

        /// <summary>The transposed blocks; on the one-group path the solve's one launch builds them itself.</summary>
        public void Linearize()
        {
            if (!OneGroup) ws.Device.Kernels.ReversedTransposedJacobian(ws.Device.Stream, (int)ws.Dims.Blocks, ws.Dims, states, ws.Weights.View, ws.BlocksA.View);
        }

        public int SolveReversed(bool sequential)
        {
            var k = ws.Device.Kernels;
            var stream = ws.Device.Stream;
            var d = ws.Dims;
            _gradientsDone = false;
            if (sequential)
            {
                k.PersistentBackward(stream, LaunchShapes.Persistent(ws.Device.Accelerator, d), d, ws.Cotangent.View, states, ws.Weights.View, ws.Lambda.View);
                (Lambda, Reversed) = (ws.Lambda.View, false);
                return 0;
            }
            Reversed = true;
            if (OneGroup)
            {
                k.OneGroupBackward(stream, k.OneGroupBackwardShape, ws.Views, states, d);   // blocks, solve and gradients in one launch
                _gradientsDone = true;
                int rounds = DevicePcr.RoundsFor(d.Layers);
                Lambda = rounds % 2 == 0 ? ws.RhsA.View : ws.RhsB.View;
                return rounds;
            }
            ws.RhsA.View.MemSetToZero(stream);
            ws.RhsA.View.SubView(0, d.Row).CopyFrom(stream, ws.Cotangent.View);
            Lambda = DevicePcr.Solve(ws, null, options, out int launched);
            return launched;
        }

        public bool Finite => FiniteCheck.AllFinite(ws.Device, Lambda, ws.Flags.View);

        public void Gradients()
        {
            if (_gradientsDone) return;
            var k = ws.Device.Kernels;
            var d = ws.Dims;
            int reversed = Reversed ? 1 : 0;
            k.InputGradient(ws.Device.Stream, d.Row, d, states, ws.Weights.View, Lambda, reversed, ws.InputGradient.View);
            k.ParameterGradients(ws.Device.Stream, d.Layers * d.Width * (d.Width + 1), d, ws.Input.View, states, Lambda, reversed, ws.WeightGradients.View, ws.BiasGradients.View);
        }
    }
}
