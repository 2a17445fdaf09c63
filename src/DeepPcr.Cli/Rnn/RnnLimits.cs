using System.Diagnostics;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Limits;
using DeepPcr.Solvers;

namespace DeepPcr.Cli.Rnn;

/// <summary>
/// Whether a point of `bench rnn` runs: its memory, estimated from its sizes before anything is allocated, must fit
/// the limit (--max-memory or the available memory), and its time, estimated by running the same point at two short
/// lengths with every column and repetition and extending the line through them to T (the work of every column is
/// O(T) per pass; PCR's log factor and a change in Newton iterations are not modelled), must stay under the cap. A
/// point that does not run is reported with the estimate that stopped it.
/// </summary>
public static class RnnLimits
{
    /// <summary>The longest calibration run; points up to this length run without an estimate.</summary>
    public const int CalibrationSteps = 256;

    /// <summary>The point's memory estimate: the parallel solve's Jacobians and PCR workspace (j = W^2 numbers a step and
    /// sample for the dense cells, H for gru-diag, 4H for lstm-cifg-diag's 2 x 2 blocks of diagonals; W the state width),
    /// states and gates of every column (float32 and the float64 reference), and the autograd graphs of the loops.</summary>
    public static MemoryEstimate Memory(RnnPoint point)
    {
        double steps = point.Steps, batch = point.Batch, width = point.StateWidth;
        double jacobian = point.Cell switch
        {
            "gru-diag" => point.Hidden,
            "lstm-cifg-diag" => 4.0 * point.Hidden,
            _ => width * width,
        };
        double gates = (double)point.Gates * point.Hidden;
        return new MemoryEstimate($"bench rnn at {point}")
            .Add("Jacobians T*B*j", steps * batch * jacobian, 4, MemoryEstimates.JacobianCopies)
            .Add("states and residuals T*B*W", steps * batch * width, 4, 12)
            .Add("float64 reference states T*B*W", steps * batch * width, 8, 6)
            .Add("input projections T*B*G*H", steps * batch * gates, 8, 3)
            .Add("autograd graphs of the loops T*B*G*H", steps * batch * gates, 4, 4 * 4);
    }

    /// <summary>Null when the point fits the memory limit, else why not.</summary>
    public static string? MemoryRefusal(RnnPoint point)
    {
        try
        {
            Memory(point).Check();
            return null;
        }
        catch (UsageException e)
        {
            return e.Message;
        }
    }

    /// <summary>The estimated wall time of the whole point (both passes, every column, thread count and repetition), ms, or
    /// null for a point no longer than <see cref="CalibrationSteps"/> (its calibration would cost as much as the point).
    /// The same point runs at T = 16 (untimed, so that the JIT and first touches are paid), at T1 = CalibrationSteps / 4
    /// and at T2 = CalibrationSteps; the estimate extends the line through the two timings to T.</summary>
    public static double? EstimateMs(RnnPoint point, string solverName, IChainSolver solver, SolverOptions options)
    {
        if (point.Steps <= CalibrationSteps) return null;
        double Time(int steps)
        {
            var watch = Stopwatch.StartNew();
            RnnExperiment.Run(point with { Steps = steps }, solverName, solver, options);
            return watch.Elapsed.TotalMilliseconds;
        }
        Time(16);
        const int t1 = CalibrationSteps / 4, t2 = CalibrationSteps;
        double m1 = Time(t1), m2 = Time(t2);
        double slope = Math.Max(m2 - m1, 0) / (t2 - t1);
        return m2 + slope * (point.Steps - t2);
    }
}
