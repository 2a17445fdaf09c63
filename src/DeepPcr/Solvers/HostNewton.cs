using System.Numerics;
using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Linear.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// Exact Newton (DeepPCR) for a step with host kernels (<see cref="IHostChainStep"/>) on CPU float32/float64
/// states: the iteration of <see cref="ParallelIteration"/> with the same iterates, stopping rule, safeguards and
/// reporting, but every evaluation, Jacobian, PCR solve and norm in host memory allocated once per run, so no
/// framework call sits inside the loop. The correction form z + d is used while everything is finite and the
/// DEER form (c = f(z) - A z, solved from the start state) as soon as something is not.
/// </summary>
internal static unsafe class HostNewton
{
    /// <summary>True when this engine applies.</summary>
    public static bool Applies(IChainStep step, Linearization linearization, Tensor start) =>
        step is IHostChainStep host && ReferenceEquals(linearization, Linearization.Exact)
        && step.JacobianStructure == JacobianStructure.Dense && start.device_type == DeviceType.CPU
        && (start.dtype == ScalarType.Float32 || start.dtype == ScalarType.Float64) && host.SupportsHost(start.dtype);

    /// <summary>Runs steps first..first+count-1 from <paramref name="start"/> (B, w) and <paramref name="guess"/> (count, B, w).</summary>
    public static Attempt Run(IHostChainStep step, int first, int count, Tensor start, Tensor guess, SolverOptions options) =>
        start.dtype == ScalarType.Float32
            ? Run<float>(step, first, count, start, guess, options)
            : Run<double>(step, first, count, start, guess, options);

    private static Attempt Run<T>(IHostChainStep step, int first, int count, Tensor start, Tensor guess, SolverOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = (int)start.shape[0], width = step.Width;
        int rowSize = batch * width;
        long rows = (long)count * batch;
        long stride = HostPcr.StrideFor<T>(rows);
        int maxIterations = options.MaxIterations ?? count;
        double atol = options.Atol(start.dtype), rtol = options.Rtol(start.dtype);
        var policy = options.Policy;
        var residuals = new List<double>();
        var estimates = new List<double>();
        int chunk = options.ChunkFor(count, batch, width, BlockStructure.Dense);
        int rounds = chunk > 0 ? ChunkedPcr.RoundsFor(count, chunk) : ParallelCyclicReduction.RoundsFor(count);
        int growth = 0;

        // chain = [z_0; z_1..z_n]: the inputs of the steps are its first n rows, the iterate its last n rows.
        var chain = new T[(count + 1) * rowSize];
        HostTensors.CopyTo(start, chain.AsSpan(0, rowSize));
        HostTensors.CopyTo(guess, chain.AsSpan(rowSize));
        var outputs = new T[count * rowSize];
        var next = new T[count * rowSize];
        var zeros = new T[rowSize];
        using var scratch = HostScratch.Lease((width * width * stride + HostPcr.ScratchFor<T>(width, stride)) * sizeof(T));
        T* jacobian = (T*)scratch.Pointer;
        T* planes = jacobian + width * width * stride;
        {
            var jacobianSpan = new Span<T>(jacobian, (int)(width * width * stride));
            for (int iteration = 0; ; iteration++)
            {
                var z = chain.AsSpan(rowSize);
                step.EvaluateOnHost<T>(first, batch, chain.AsSpan(0, count * rowSize), outputs, jacobianSpan, stride);
                double residualNorm = 0;
                for (int i = 0; i < next.Length; i++)
                {
                    T r = outputs[i] - z[i];
                    next[i] = r;
                    double magnitude = double.CreateTruncating(T.Abs(r));
                    if (!(magnitude <= residualNorm)) residualNorm = magnitude; // NaN sticks
                }
                residuals.Add(residualNorm);
                string? alarm = policy.Enabled ? ParallelIteration.Alarm(residualNorm, residuals, policy, ref growth) : null;
                if (alarm is not null)
                {
                    estimates.Add(double.NaN);
                    return Finish(chain, rowSize, count, batch, width, start, iteration, rounds, residuals, estimates, Termination.IterationLimit, alarm, null);
                }

                NewtonStep(count, batch, width, jacobian, stride, planes, chain, outputs, next, zeros, residualNorm, chunk);

                double ratio = 0, estimate = 0;
                for (int i = 0; i < next.Length; i++)
                {
                    double update = double.CreateTruncating(T.Abs(next[i] - z[i]));
                    double r = update / (atol + rtol * double.CreateTruncating(T.Abs(z[i])));
                    if (!(r <= ratio)) ratio = r;
                    if (!(update <= estimate)) estimate = update;
                }
                double[]? final = first + count < step.Length ? LastRowError(next, z, count, batch, width) : null;
                estimates.Add(estimate);
                if (ratio <= 1.0)
                {
                    return Finish(chain, rowSize, count, batch, width, start, iteration, rounds, residuals, estimates, Termination.Converged, null, final);
                }
                if (iteration >= maxIterations)
                {
                    return Finish(chain, rowSize, count, batch, width, start, iteration, rounds, residuals, estimates, Termination.IterationLimit, null, final);
                }
                next.CopyTo(z);
            }
        }
    }

    /// <summary>
    /// next holds the residual f(z) - z on entry and the next iterate on return: z + d with d solved from the
    /// residual, or, when that is not finite, the DEER form's solution from the start state.
    /// </summary>
    private static void NewtonStep<T>(int count, int batch, int width, T* jacobian, long stride, T* planes, T[] chain, T[] outputs, T[] next, T[] zeros, double residualNorm, int chunk)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowSize = batch * width;
        fixed (T* pNext = next, pChain = chain, pOut = outputs, pZeros = zeros)
        {
            T* z = pChain + rowSize;
            if (double.IsFinite(residualNorm))
            {
                HostPcr.SolveDense(count, batch, width, jacobian, stride, pNext, pZeros, planes, chunk);
                bool finite = true;
                for (int i = 0; i < next.Length; i++)
                {
                    pNext[i] += z[i];
                    finite &= T.IsFinite(pNext[i]);
                }
                if (finite) return;
            }
            // DEER form: c_l = f(z_{l-1}) - A_l z_{l-1}, from the start state.
            long rows = (long)count * batch;
            for (long r = 0; r < rows; r++)
            {
                T* input = pChain + r * width;
                for (int i = 0; i < width; i++)
                {
                    T sum = pOut[r * width + i];
                    for (int j = 0; j < width; j++) sum -= jacobian[(i * width + j) * stride + r] * input[j];
                    pNext[r * width + i] = sum;
                }
            }
            HostPcr.SolveDense(count, batch, width, jacobian, stride, pNext, pChain, planes, chunk);
        }
    }

    /// <summary>Per sample, the largest update of the last state: the error carried into the next window.</summary>
    private static double[] LastRowError<T>(T[] next, Span<T> z, int count, int batch, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var final = new double[batch];
        int offset = (count - 1) * batch * width;
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < width; i++)
            {
                int k = offset + b * width + i;
                final[b] = Math.Max(final[b], double.CreateTruncating(T.Abs(next[k] - z[k])));
            }
        }
        return final;
    }

    private static Attempt Finish<T>(
        T[] chain, int rowSize, int count, int batch, int width, Tensor start, int iterations, int rounds,
        List<double> residuals, List<double> estimates, Termination termination, string? alarm, double[]? final)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var states = HostTensors.From<T>(chain.AsSpan(rowSize), new long[] { count, batch, width }, start.dtype);
        return new Attempt(states, iterations, rounds, residuals, estimates, termination, alarm, final ?? new double[batch]);
    }
}
