using ILGPU.Runtime;
using DeepPcr.Gpu.Kernels;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// DeepPCR's forward pass on the device: Newton's method on the whole chain, each step one dense PCR solve,
/// with the stopping rule and iteration count of src/DeepPcr/Solvers/ParallelIteration.cs. From the cold
/// guess z = 0, iteration n evaluates every layer on its own input (one launch), assembles J_k = diag(act') W_k
/// (one launch), solves the correction d_k = J_k d_{k-1} + (f_k(z_k) - z_{k+1}), d_0 = 0 by PCR (ceil(log2 L)
/// launches) and writes z + d with the two max-norms (one launch); the host then reads back two ints and stops
/// when max |d| &lt;= atol + rtol |z|, accepting z (whose exact Jacobians serve the backward pass), else takes
/// z + d. That readback is the only host synchronisation per iteration. If the update is not finite, the step
/// is recomputed in the DEER form (c_k = f_k(z_k) - J_k z_k, z_0 folded in), which never reads z_{k+1} and so
/// recovers where z + d would stay NaN.
/// </summary>
public static class NewtonForward
{
    /// <summary>Runs the solve from the cold guess; the states end in <see cref="ChainWorkspace.States"/>.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="options">Tolerances, iteration limit, thread mapping.</param>
    /// <returns>What happened.</returns>
    public static ForwardOutcome Run(ChainWorkspace ws, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(ws);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var d = ws.Dims;
        int maxIterations = options.MaxIterations ?? d.Layers;
        int rounds = DevicePcr.RoundsFor(d.Layers);
        var residuals = new List<double>();
        var host = new int[2];
        int deerSteps = 0;
        ws.States.View.MemSetToZero(ws.Device.Stream);
        if (options.DeviceLoop && options.UsesOneGroup(d)) return RunOnDevice(ws, options, maxIterations, rounds);
        for (int iteration = 0; ; iteration++)
        {
            var (ratio, residual) = CorrectionStep(ws, options, host);
            if (!double.IsFinite(ratio) || !double.IsFinite(residual))
            {
                (ratio, residual) = DeerStep(ws, options, host);
                deerSteps++;
            }
            residuals.Add(residual);
            if (ratio <= 1.0) return new ForwardOutcome(iteration, rounds, GpuTermination.Converged, residuals, ratio, deerSteps);
            if (iteration >= maxIterations) return new ForwardOutcome(iteration, rounds, GpuTermination.IterationLimit, residuals, ratio, deerSteps);
            ws.SwapStates();
        }
    }

    /// <summary>
    /// The loop on the device (<see cref="OneGroupKernels.NewtonLoop"/>): one launch and one readback per solve; a
    /// launch ends early only at a non-finite step, which the host recomputes in the DEER form before it relaunches.
    /// </summary>
    private static ForwardOutcome RunOnDevice(ChainWorkspace ws, EngineOptions options, int maxIterations, int rounds)
    {
        var k = ws.Device.Kernels;
        var flags = new int[NewtonKernels.FlagCount];
        var host = new int[2];
        var deerResiduals = new Dictionary<int, double>();
        for (int first = 0; ;)
        {
            k.OneGroupNewtonLoop(ws.Device.Stream, k.OneGroupLoopShape, ws.Views, ws.Dims, (float)options.Atol, (float)options.Rtol, first, maxIterations);
            ws.Flags.View.CopyToCPU(ws.Device.Stream, flags);
            ws.Device.Stream.Synchronize();
            int iteration = flags[NewtonKernels.IterationSlot], status = flags[NewtonKernels.StatusSlot];
            if (flags[NewtonKernels.ParitySlot] == 1) ws.SwapStates();   // States holds the last iterate, Next its successor
            double ratio = FromOrderedBits(flags[NewtonKernels.RatioSlot]);
            if (status == 2)
            {
                (ratio, deerResiduals[iteration]) = DeerStep(ws, options, host);
            }
            var termination = status == 0 || (status == 2 && ratio <= 1.0) ? GpuTermination.Converged
                : iteration >= maxIterations ? GpuTermination.IterationLimit : (GpuTermination?)null;
            if (termination is { } done)
                return new ForwardOutcome(iteration, rounds, done, History(ws, iteration, deerResiduals), ratio, deerResiduals.Count);
            ws.SwapStates();
            first = iteration + 1;
        }
    }

    private static IReadOnlyList<double> History(ChainWorkspace ws, int last, Dictionary<int, double> overrides)
    {
        var all = ws.Read(ws.History.View.SubView(0, last + 1));
        foreach (var (iteration, residual) in overrides) all[iteration] = residual;
        return all;
    }

    /// <summary>Evaluate, Jacobian, PCR on the residual, z + d into Next, and the readback (one launch on the one-group path).</summary>
    internal static (double Ratio, double Residual) CorrectionStep(ChainWorkspace ws, EngineOptions options, int[] host)
    {
        var k = ws.Device.Kernels;
        var stream = ws.Device.Stream;
        var d = ws.Dims;
        if (options.UsesOneGroup(d))
        {
            k.OneGroupNewtonIteration(stream, k.OneGroupNewtonShape, ws.Views, d, (float)options.Atol, (float)options.Rtol);
            return ReadFlags(ws, host);
        }
        ws.Flags.View.MemSetToZero(stream);
        k.Evaluate(stream, d.States, d, ws.Input.View, ws.States.View, ws.Weights.View, ws.Biases.View, ws.Outputs.View, ws.Derivatives.View, ws.RhsA.View);
        k.Jacobian(stream, (int)d.Blocks, d, ws.Derivatives.View, ws.Weights.View, ws.BlocksA.View);
        var correction = DevicePcr.Solve(ws, null, options);
        return Measure(ws, options, correction, deerForm: 0, host);
    }

    /// <summary>The same iterate in the DEER form: PCR on c_k = f_k(z_k) - J_k z_k with z_0 folded in; next = its solution.</summary>
    internal static (double Ratio, double Residual) DeerStep(ChainWorkspace ws, EngineOptions options, int[] host)
    {
        var k = ws.Device.Kernels;
        var stream = ws.Device.Stream;
        var d = ws.Dims;
        ws.Flags.View.MemSetToZero(stream);
        k.Jacobian(stream, (int)d.Blocks, d, ws.Derivatives.View, ws.Weights.View, ws.BlocksA.View);
        k.DeerRightHandSide(stream, d.States, d, ws.Input.View, ws.States.View, ws.BlocksA.View, ws.Outputs.View, ws.RhsA.View);
        var solution = DevicePcr.Solve(ws, ws.Input.View, options);
        return Measure(ws, options, solution, deerForm: 1, host);
    }

    private static (double Ratio, double Residual) Measure(ChainWorkspace ws, EngineOptions options, ILGPU.ArrayView<float> solution, int deerForm, int[] host)
    {
        var d = ws.Dims;
        var stream = ws.Device.Stream;
        var shape = LaunchShapes.Reduction(ws.Device.Accelerator, d.States);
        ws.Device.Kernels.UpdateAndMeasure(stream, shape, d.States, deerForm, ws.States.View, solution, ws.Outputs.View, ws.Next.View, ws.Flags.View,
            (float)options.Atol, (float)options.Rtol);
        return ReadFlags(ws, host);
    }

    /// <summary>The one host synchronisation of an iteration: the two stopping-test slots.</summary>
    private static (double Ratio, double Residual) ReadFlags(ChainWorkspace ws, int[] host)
    {
        ws.Flags.View.SubView(0, host.Length).CopyToCPU(ws.Device.Stream, host);
        ws.Device.Stream.Synchronize();
        return (FromOrderedBits(host[NewtonKernels.RatioSlot]), FromOrderedBits(host[NewtonKernels.ResidualSlot]));
    }

    /// <summary>The float a slot's ordered bits stand for (NaN for int.MaxValue).</summary>
    /// <param name="bits">The slot.</param>
    /// <returns>The value.</returns>
    internal static double FromOrderedBits(int bits) => bits == int.MaxValue ? double.NaN : BitConverter.Int32BitsToSingle(bits);
}
