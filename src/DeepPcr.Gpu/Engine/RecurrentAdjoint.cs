using DeepPcr.Newton;
using ILGPU;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// The recurrent engine as a backend of the core's one backward pass (<see cref="AdjointPass"/>): the reversed adjoint
/// chain u_r = A_{T-r}^T u_{r-1} + g_{T-1-r} with the exact blocks at the given states, solved by block-diagonal PCR (or
/// by the sequential adjoint, one thread per sample and unit), then the gate deltas of every step, the input gradient,
/// the initial state's gradient and every parameter gradient (float64 sums over T B in chunks). <see cref="Finite"/>
/// reads one int back: the pass needs it to decide on its fallback, so the backward pass synchronises once after the
/// solve and once after the gradients.
/// </summary>
/// <param name="ws">The workspace.</param>
/// <param name="states">(T, B, S): the accepted forward states.</param>
public sealed class RecurrentAdjoint(RecurrentWorkspace ws, ArrayView<float> states) : IAdjointBackend
{
    private ArrayView<float> _lambda;

    /// <summary>(T, B, S): the state gradients of the last solve, row T-1-t holding lambda_t.</summary>
    public ArrayView<float> Lambda => _lambda;

    /// <summary>Runs the core's backward pass on the workspace; the gradients land in its gradient buffers.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="states">(T, B, S): the accepted forward states.</param>
    /// <param name="sequential">Solve the adjoint chain with the sequential adjoint instead of PCR (the baseline).</param>
    /// <returns>What the pass did.</returns>
    public static AdjointRun Run(RecurrentWorkspace ws, ArrayView<float> states, bool sequential = false) =>
        AdjointPass.Run(new RecurrentAdjoint(ws, states), sequential);

    /// <inheritdoc />
    public void Linearize() => ws.Device.RecurrentKernels.ReversedAdjoint(ws.Device.Stream, ws.Dims.Units, ws.Dims, ws.Views, states);

    /// <inheritdoc />
    public int SolveReversed(bool sequential)
    {
        var d = ws.Dims;
        if (sequential)
        {
            _lambda = ws.RhsA.View;
            ws.Device.RecurrentKernels.SequentialAdjoint(ws.Device.Stream, d.Batch * d.Hidden, d, ws.Views, states, _lambda);
            return 0;
        }
        _lambda = BlockDiagonalPcr.Solve(ws, out int rounds);
        return rounds;
    }

    /// <inheritdoc />
    public bool Finite => FiniteCheck.AllFinite(ws.Device, _lambda, ws.Flags.View);

    /// <inheritdoc />
    public void Gradients()
    {
        var k = ws.Device.RecurrentKernels;
        var stream = ws.Device.Stream;
        var d = ws.Dims;
        var v = ws.Views;
        k.Deltas(stream, d.Units, d, v, states, _lambda);
        k.InputGradient(stream, d.Rows * d.InputSize, d, v);
        k.ParameterPartials(stream, ws.Chunks * d.GateRows * d.ParameterColumns, d, v, states);
        k.ParameterSums(stream, d.GateRows * d.ParameterColumns, d, v, ws.Chunks);
    }
}
