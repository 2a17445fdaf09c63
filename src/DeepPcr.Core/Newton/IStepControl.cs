namespace DeepPcr.Newton;

/// <summary>
/// How the Newton loop turns the next iterate into a trial and judges it, per sample: the plain step, Levenberg–Marquardt
/// damping, or trust-region clipping. Holds the per-sample state (lambda, radius); make one per solve.
/// </summary>
public interface IStepControl
{
    /// <summary>True when <see cref="Judge"/> reads merits, so the backend must compute them.</summary>
    bool NeedsMerit { get; }

    /// <summary>Asks the backend for the trial.</summary>
    void Propose(INewtonBackend backend);

    /// <summary>Which samples accept their trial; adapts the control's state to the outcome.</summary>
    /// <param name="merit">(B): ||r||^2 of the current iterate, or null when <see cref="NeedsMerit"/> is false.</param>
    /// <param name="trialMerit">(B): ||r||^2 of the trial, or null likewise.</param>
    /// <param name="batch">B.</param>
    bool[] Judge(IReadOnlyList<double>? merit, IReadOnlyList<double>? trialMerit, int batch);
}

/// <summary>The plain Newton step: the trial is the next iterate, and every sample takes it.</summary>
public sealed class PlainStep : IStepControl
{
    /// <summary>The shared instance (it holds no state).</summary>
    public static PlainStep Instance { get; } = new();

    /// <inheritdoc />
    public bool NeedsMerit => false;

    /// <inheritdoc />
    public void Propose(INewtonBackend backend) => backend.ProposeNext();

    /// <inheritdoc />
    public bool[] Judge(IReadOnlyList<double>? merit, IReadOnlyList<double>? trialMerit, int batch) => Enumerable.Repeat(true, batch).ToArray();
}
