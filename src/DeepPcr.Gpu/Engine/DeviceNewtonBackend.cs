using DeepPcr.Newton;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// The GPU engine as a backend of the one Newton loop (<see cref="NewtonLoop"/>): exact Newton with plain steps on a
/// chain on the device (<see cref="IDeviceChain"/>: the MLP's dense blocks or a recurrent cell's diagonal and
/// BlockDiagonal(2) blocks), from the iterate in its States buffer. An evaluation is a fused iteration
/// (<see cref="FusedIteration"/>): it evaluates the layers at z and also linearises, solves for the next iterate and
/// measures z against the stopping rule in the same launches and the same readback. So <see cref="Start"/> and
/// <see cref="EvaluateTrial"/> run it, <see cref="Linearize"/> returns the measure already read, and
/// <see cref="ProposeNext"/> swaps the ping-pong buffers. The states the loop accepts stay in States.
/// </summary>
internal sealed class DeviceNewtonBackend(IDeviceChain chain, EngineOptions options) : INewtonBackend
{
    private IterationMeasure last;

    /// <inheritdoc />
    public int Batch => chain.Batch;

    /// <inheritdoc />
    public int PcrRounds => last.Rounds;

    /// <summary>Iterations recomputed in the DEER form because the correction form was not finite.</summary>
    public int DeerSteps { get; private set; }

    /// <summary>The stopping ratio of the last iterate evaluated.</summary>
    public double LastRatio => last.Ratio;

    /// <inheritdoc />
    public Evaluation Start() => EvaluateTrial();

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A rule other than the one the fused iteration measured with.</exception>
    public StopMeasure Linearize(StoppingRule rule)
    {
        if (rule != options.Rule) throw new ArgumentException("The device engine measured its iterate with the rule of its EngineOptions.", nameof(rule));
        return new StopMeasure(last.Ratio, last.Update);
    }

    /// <inheritdoc />
    public void ProposeNext() => chain.SwapStates();

    /// <inheritdoc />
    public void ProposeDamped(IReadOnlyList<double> lambda, double cutBound) =>
        throw new NotSupportedException("The device engine runs plain Newton steps.");

    /// <inheritdoc />
    public IReadOnlyList<double> ProposeClipped(IReadOnlyList<double> radius, double cutBound) =>
        throw new NotSupportedException("The device engine runs plain Newton steps.");

    /// <inheritdoc />
    public Evaluation EvaluateTrial()
    {
        last = chain.Correction();
        if (!last.Finite)
        {
            last = chain.Deer();
            DeerSteps++;
        }
        return new Evaluation(last.Residual, null);
    }

    /// <inheritdoc />
    public Evaluation Accept(IReadOnlyList<bool> take)
    {
        if (!take.All(t => t)) throw new NotSupportedException("The device engine's plain steps are taken by every sample.");
        return new Evaluation(last.Residual, null);
    }
}
