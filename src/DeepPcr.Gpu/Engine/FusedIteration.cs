using DeepPcr.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>What one fused iteration read back: the stopping test's three max-norms and the PCR rounds.</summary>
/// <param name="Ratio">max |next - z| / (atol + rtol |z|) (NaN when a value is NaN).</param>
/// <param name="Residual">max |f(z) - z|.</param>
/// <param name="Update">max |next - z|: the stopping rule's error estimate of z.</param>
/// <param name="Rounds">The PCR rounds of the linear solve, as the code that ran them counted them.</param>
internal readonly record struct IterationMeasure(double Ratio, double Residual, double Update, int Rounds)
{
    /// <summary>False when the ratio or the residual is not finite (the correction form then gives way to the DEER form).</summary>
    public bool Finite => double.IsFinite(Ratio) && double.IsFinite(Residual);

    /// <summary>Decodes the measure slots of the flags buffer.</summary>
    /// <param name="flags">At least <see cref="NewtonKernels.MeasureSlots"/> ints.</param>
    /// <returns>The measure.</returns>
    public static IterationMeasure FromFlags(ReadOnlySpan<int> flags) => new(
        NewtonKernels.FromOrderedBits(flags[NewtonKernels.RatioSlot]), NewtonKernels.FromOrderedBits(flags[NewtonKernels.ResidualSlot]),
        NewtonKernels.FromOrderedBits(flags[NewtonKernels.UpdateSlot]), flags[NewtonKernels.RoundsSlot]);
}

/// <summary>
/// One exact Newton iteration on the device, fused with the stopping test: from the iterate z in
/// <see cref="ChainWorkspace.States"/>, evaluate every layer on its input (one launch), assemble
/// J_k = diag(act') W_k (one launch), solve d_k = J_k d_{k-1} + (f_k(z_k) - z_{k+1}), d_0 = 0 by PCR (ceil(log2 L)
/// launches), write z + d into <see cref="ChainWorkspace.Next"/> with the norms (one launch), and read back four ints:
/// the only host synchronisation of an iteration (one launch in all on the one-group path). When the ratio or the
/// residual is not finite, the same iterate is recomputed in the DEER form (c_k = f_k(z_k) - J_k z_k, z_0 folded in),
/// which never reads z_{k+1} and so recovers where z + d would stay NaN.
/// </summary>
internal static class FusedIteration
{
    /// <summary>The correction form of the iteration from <see cref="ChainWorkspace.States"/>.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="options">The stopping rule and the thread mapping.</param>
    /// <returns>The measure of the iterate.</returns>
    public static IterationMeasure Correction(ChainWorkspace ws, EngineOptions options)
    {
        var k = ws.Device.Kernels;
        var stream = ws.Device.Stream;
        var d = ws.Dims;
        if (options.UsesOneGroup(d))
        {
            k.OneGroupNewtonIteration(stream, k.OneGroupNewtonShape, ws.Views, d, (float)options.Rule.Atol, (float)options.Rule.Rtol);
            return Read(ws.Device, ws.Flags.View, rounds: null);
        }
        ws.Flags.View.MemSetToZero(stream);
        k.Evaluate(stream, d.States, d, ws.Input.View, ws.States.View, ws.Weights.View, ws.Biases.View, ws.Outputs.View, ws.Derivatives.View, ws.RhsA.View);
        k.Jacobian(stream, (int)d.Blocks, d, ws.Derivatives.View, ws.Weights.View, ws.BlocksA.View);
        var correction = DevicePcr.Solve(ws, null, options, out int rounds);
        return Measure(ws, options, correction, deerForm: 0, rounds);
    }

    /// <summary>The same iterate in the DEER form (after <see cref="Correction"/> left f(z) and act' in place): PCR on c_k = f_k(z_k) - J_k z_k with z_0 folded in; next = its solution.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="options">The stopping rule and the thread mapping.</param>
    /// <returns>The measure of the iterate.</returns>
    public static IterationMeasure Deer(ChainWorkspace ws, EngineOptions options)
    {
        var k = ws.Device.Kernels;
        var stream = ws.Device.Stream;
        var d = ws.Dims;
        ws.Flags.View.MemSetToZero(stream);
        k.Jacobian(stream, (int)d.Blocks, d, ws.Derivatives.View, ws.Weights.View, ws.BlocksA.View);
        k.DeerRightHandSide(stream, d.States, d, ws.Input.View, ws.States.View, ws.BlocksA.View, ws.Outputs.View, ws.RhsA.View);
        var solution = DevicePcr.Solve(ws, ws.Input.View, options, out int rounds);
        return Measure(ws, options, solution, deerForm: 1, rounds);
    }

    private static IterationMeasure Measure(ChainWorkspace ws, EngineOptions options, ArrayView<float> solution, int deerForm, int rounds) =>
        Measure(ws.Device, ws.Dims.States, deerForm, ws.States.View, solution, ws.Outputs.View, ws.Next.View, ws.Flags.View, options.Rule, rounds);

    /// <summary>
    /// The end of an iteration on any chain: next = z + d (or d in the DEER form) with the stopping test's norms
    /// (<see cref="NewtonKernels.UpdateAndMeasure"/>, the flags zeroed before the iteration), then the one readback.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="count">The state values.</param>
    /// <param name="deerForm">0 correction form, 1 DEER form.</param>
    /// <param name="states">The iterate z.</param>
    /// <param name="solution">The PCR solution.</param>
    /// <param name="outputs">f(z), row t at f_t.</param>
    /// <param name="next">The next iterate, written.</param>
    /// <param name="flags">The flags buffer.</param>
    /// <param name="rule">The stopping rule.</param>
    /// <param name="rounds">The PCR rounds of the solve.</param>
    internal static IterationMeasure Measure(GpuDevice device, int count, int deerForm, ArrayView<float> states, ArrayView<float> solution,
        ArrayView<float> outputs, ArrayView<float> next, ArrayView<int> flags, Newton.StoppingRule rule, int rounds)
    {
        var shape = LaunchShapes.Reduction(device.Accelerator, count);
        device.Kernels.UpdateAndMeasure(device.Stream, shape, count, deerForm, states, solution, outputs, next, flags, (float)rule.Atol, (float)rule.Rtol);
        return Read(device, flags, rounds);
    }

    /// <summary>The one host synchronisation of an iteration: the measure slots (the rounds counted here on the multi-launch path).</summary>
    private static IterationMeasure Read(GpuDevice device, ArrayView<int> flags, int? rounds)
    {
        var host = new int[NewtonKernels.MeasureSlots];
        flags.SubView(0, host.Length).CopyToCPU(device.Stream, host);
        device.Stream.Synchronize();
        var measure = IterationMeasure.FromFlags(host);
        return rounds is int counted ? measure with { Rounds = counted } : measure;
    }
}
