using DeepPcr.Models.Training;
using System.Diagnostics;
using DeepPcr.Cli.Solvers;
using DeepPcr.Models.Text;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Training;

/// <summary>One logged training step: the step (1-based), the loss of its minibatch (nats per character) and the
/// training wall time so far, ms.</summary>
public sealed record CharLmLog(int Step, double Loss, double WallMs);

/// <summary>
/// One solver's training run of `train charlm`: its own model (identical initial weights for every solver), its own
/// Adam, the shared minibatches, and what the forward solves reported (method, engines, Newton iterations, fallbacks).
/// </summary>
public sealed class CharLmRun : IDisposable
{
    private readonly CharLanguageModel model;
    private readonly Adam optimizer;
    private double iterations;
    private int solves;

    /// <summary>A fresh run of <paramref name="solver"/> (a name of the solver catalog).</summary>
    public CharLmRun(string solver, CharLmOptions options, int vocabulary)
    {
        Solver = solver;
        model = new CharLanguageModel(vocabulary, options.Cell, options.Hidden, options.Layers, options.Seed);
        var entry = SolverCatalog.Parse(solver).Single();
        model.Solver = entry.Solver;
        model.Options = entry.Options;
        optimizer = new Adam(model.parameters(), options.LearningRate);
    }

    /// <summary>The solver's name as given.</summary>
    public string Solver { get; }

    /// <summary>The model being trained.</summary>
    public CharLanguageModel Model => model;

    /// <summary>The logged steps.</summary>
    public List<CharLmLog> Log { get; } = new();

    /// <summary>The methods the forward solves reported ("deeppcr", "sequential", ...).</summary>
    public SortedSet<string> Methods { get; } = new();

    /// <summary>The engines of the forward solves.</summary>
    public SortedSet<string> Engines { get; } = new();

    /// <summary>The engines of the backward passes, where reported.</summary>
    public SortedSet<string> BackwardEngines { get; } = new();

    /// <summary>Forward solves that ended in a fallback.</summary>
    public int Fallbacks { get; private set; }

    /// <summary>Training wall time so far, ms (steps only: no evaluation or logging).</summary>
    public double TrainMs { get; private set; }

    /// <summary>Mean Newton iterations per layer solve (0 for the sequential solver).</summary>
    public double MeanIterations => solves == 0 ? 0 : iterations / solves;

    /// <summary>One optimiser step on tokens [B, T + 1]; logs the loss when <paramref name="log"/>.</summary>
    public void Step(int step, Tensor window, bool log)
    {
        using var scope = torch.NewDisposeScope();
        long length = window.size(1) - 1;
        var watch = Stopwatch.StartNew();
        optimizer.ZeroGrad();
        var logits = model.call(window.narrow(1, 0, length));
        var loss = nn.functional.cross_entropy(logits.reshape(-1, model.Vocabulary), window.narrow(1, 1, length).reshape(-1));
        loss.backward();
        optimizer.Step();
        double value = loss.ToDouble();
        TrainMs += watch.Elapsed.TotalMilliseconds;
        Record();
        if (!double.IsFinite(value)) throw new Errors.NumericalFailureException($"train charlm: the {Solver} run's loss at step {step} is {value}.");
        if (log) Log.Add(new CharLmLog(step, value, TrainMs));
    }

    /// <summary>Held-out bits per character: the mean cross-entropy in bits of every held-out window (each scored from zero
    /// states), computed with this run's own solver.</summary>
    public double BitsPerChar(Tensor windows)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long length = windows.size(1) - 1;
        var logits = model.call(windows.narrow(1, 0, length));
        var nats = nn.functional.cross_entropy(logits.reshape(-1, model.Vocabulary), windows.narrow(1, 1, length).reshape(-1));
        Record();
        return nats.ToDouble() / Math.Log(2);
    }

    /// <summary>The prompt followed by <paramref name="count"/> characters drawn one at a time (temperature 0.8, seeded).</summary>
    public string Sample(CharCorpus corpus, string prompt, int count, long seed)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var generator = new Generator((ulong)seed + 2);
        using Scalar temperature = 0.8;
        var (logits, states) = model.Run(torch.tensor(prompt.Select(corpus.Encode).ToArray()).unsqueeze(0), null);
        var drawn = new List<long>();
        for (int i = 0; i < count; i++)
        {
            var probabilities = nn.functional.softmax(logits[0, -1].div(temperature), 0);
            long next = torch.multinomial(probabilities, 1, generator: generator).item<long>();
            drawn.Add(next);
            (logits, states) = model.Run(torch.tensor(new[] { next }).reshape(1, 1), states);
        }
        return prompt + corpus.Decode(drawn);
    }

    private void Record()
    {
        foreach (var solution in model.LastSolutions)
        {
            Methods.Add(solution.MethodName);
            Engines.Add(solution.EngineName);
            if (solution.Fallback != Fallback.None) Fallbacks++;
            iterations += solution.Iterations;
            solves++;
        }
        foreach (var adjoint in model.LastAdjoints)
        {
            if (adjoint is not null) BackwardEngines.Add(adjoint.Engine.Name());
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        optimizer.Dispose();
        model.Dispose();
    }
}
