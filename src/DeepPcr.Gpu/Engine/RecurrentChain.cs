using ILGPU.Runtime;
namespace DeepPcr.Gpu.Engine;

/// <summary>
/// A recurrent workspace as an <see cref="IDeviceChain"/>: one Newton iteration evaluates every step at the iterate
/// with its diagonal or BlockDiagonal(2) Jacobian block (one launch, the projections computed before the solve), solves
/// by block-diagonal PCR (<see cref="BlockDiagonalPcr"/>), and ends with the shared update and stopping test
/// (the shared update and measure of <see cref="FusedIteration"/>: one readback).
/// </summary>
internal sealed class RecurrentChain(RecurrentWorkspace ws, EngineOptions options) : IDeviceChain
{
    /// <inheritdoc />
    public int Batch => ws.Dims.Batch;

    /// <inheritdoc />
    public IterationMeasure Correction() => Iterate(deer: 0);

    /// <inheritdoc />
    public IterationMeasure Deer() => Iterate(deer: 1);

    /// <inheritdoc />
    public void SwapStates() => ws.SwapStates();

    /// <inheritdoc />
    public void ColdGuess() => ws.States.View.MemSetToZero(ws.Device.Stream);

    /// <inheritdoc />
    public void SequentialIntoStates()
    {
        RecurrentForward.Sequential(ws, ws.States.View);
        ws.Device.Synchronize();
    }

    private IterationMeasure Iterate(int deer)
    {
        var d = ws.Dims;
        var stream = ws.Device.Stream;
        ws.Flags.View.MemSetToZero(stream);
        ws.Device.RecurrentKernels.Evaluate(stream, d.Units, d, ws.Views, ws.States.View, deer);
        var solution = BlockDiagonalPcr.Solve(ws, out int rounds);
        var v = ws.Views;
        return FusedIteration.Measure(ws.Device, d.States, deer, v.States, solution, v.Outputs, v.Next, v.Flags, options.Rule, rounds);
    }
}
