using ILGPU.Runtime;
namespace DeepPcr.Gpu.Engine;

/// <summary>
/// What the device's Newton backend (<see cref="DeviceNewtonBackend"/>) and forward driver (<see cref="NewtonForward"/>)
/// need of a chain on the device, whatever its steps and Jacobian structure: a fused iteration in either form, the
/// ping-pong swap, the cold guess and the sequential fallback. Implementations: the MLP chain (dense blocks,
/// <see cref="MlpChain"/>) and the recurrent chain (diagonal and BlockDiagonal(2) blocks, <see cref="RecurrentChain"/>).
/// </summary>
internal interface IDeviceChain
{
    /// <summary>B.</summary>
    int Batch { get; }

    /// <summary>The correction-form iteration from the iterate in States into Next, with the stopping test's readback.</summary>
    IterationMeasure Correction();

    /// <summary>The same iterate in the DEER form (after <see cref="Correction"/> found a value that is not finite).</summary>
    IterationMeasure Deer();

    /// <summary>Accepts the next iterate (swaps States and Next).</summary>
    void SwapStates();

    /// <summary>Sets States to the cold guess z = 0.</summary>
    void ColdGuess();

    /// <summary>Writes the sequential pass's states into States (the fallback).</summary>
    void SequentialIntoStates();
}

/// <summary>The MLP chain of a <see cref="ChainWorkspace"/> as an <see cref="IDeviceChain"/>.</summary>
internal sealed class MlpChain(ChainWorkspace ws, EngineOptions options) : IDeviceChain
{
    /// <inheritdoc />
    public int Batch => ws.Dims.Batch;

    /// <inheritdoc />
    public IterationMeasure Correction() => FusedIteration.Correction(ws, options);

    /// <inheritdoc />
    public IterationMeasure Deer() => FusedIteration.Deer(ws, options);

    /// <inheritdoc />
    public void SwapStates() => ws.SwapStates();

    /// <inheritdoc />
    public void ColdGuess() => ws.States.View.MemSetToZero(ws.Device.Stream);

    /// <inheritdoc />
    public void SequentialIntoStates()
    {
        Baselines.SequentialBaselines.PerLayerForward(ws);
        ws.States.View.CopyFrom(ws.Device.Stream, ws.BaselineStates.View);
        ws.Device.Synchronize();
    }
}
