namespace DeepPcr.Cli.Measuring;

/// <summary>
/// How each timed comparison keeps the first method measured from paying the JIT (and first-touch page faults),
/// in the words written to the `warmup` field of its JSON. Every method runs once untimed before its timing: in
/// the <see cref="Harness"/> for repeated cases, on a small instance of the same problem where one run is all
/// that is timed.
/// </summary>
public static class Warmup
{
    /// <summary>The harness's rule (mlp, demo, bench mlp, bench kernels, bench modules, bench rnn), written from its
    /// constants so that the two cannot part. (It was a fixed text, which still said "1 ms" after the
    /// harness had changed: the JSONs of commits 01db19e and 3d24901 in docs/results carry it.)</summary>
    public static readonly string Harness = string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"every case ran once untimed before the timed repetitions, and once more to size them; each repetition runs the cases in its own seeded random order; each sample of a case under {Measuring.Harness.LeadInMaxMs} ms begins with {Measuring.Harness.LeadInMs} ms (at least one call) of the same case, untimed; a case under {Measuring.Harness.MinSampleMs} ms runs back to back within a sample until the sample fills {Measuring.Harness.MinSampleMs} ms, and the sample is the mean call");

    /// <summary>`bench solvers`: the outcome solve warms the timed repetitions; a tiny chain warms the slow methods' single solve.</summary>
    public const string Solvers = "every method solved a 4-layer chain of each width once untimed before the grid; its outcome solve then preceded the timed repetitions";

    /// <summary>The diffusion samplers, each timed by one run.</summary>
    public const string Samplers = "every sampler sampled one digit once untimed (same T and tolerance) before the timed run";

    /// <summary>ResNet training: the first epoch is left out of the median.</summary>
    public const string Training = "the first epoch of every solver is left out of median_epoch_ms (it pays the JIT), unless there is only one epoch";

    /// <summary>Runs every action once, untimed.</summary>
    public static void Run(IEnumerable<Action> actions)
    {
        foreach (var action in actions) action();
    }
}
