using System.Diagnostics;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Limits;
using DeepPcr.Solvers;

namespace DeepPcr.Cli.Rnn;

/// <summary>
/// Whether a point of `bench rnn` runs: its memory, estimated from its sizes before anything is allocated, must fit
/// the limit (--max-memory or the available memory), and its time, estimated by running the same point at a short
/// length T0 = min(T, <see cref="CalibrationSteps"/>) with every column and repetition and scaling linearly in T (the
/// work of every column is O(T) per pass; PCR's log factor and a change in Newton iterations are not modelled), must
/// stay under the cap. A point that does not run is reported with the estimate that stopped it.
/// </summary>
public static class RnnLimits
{
    /// <summary>The length of the calibration run.</summary>
    public const int CalibrationSteps = 128;

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

    /// <summary>The estimated wall time of the whole point (both passes, every column, thread count and repetition), ms.</summary>
    public static double EstimateMs(RnnPoint point, string solverName, IChainSolver solver, SolverOptions options)
    {
        var shortPoint = point with { Steps = Math.Min(point.Steps, CalibrationSteps) };
        var watch = Stopwatch.StartNew();
        RnnExperiment.Run(shortPoint, solverName, solver, options);
        return watch.Elapsed.TotalMilliseconds * point.Steps / shortPoint.Steps;
    }
}
