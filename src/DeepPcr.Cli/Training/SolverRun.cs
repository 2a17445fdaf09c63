using DeepPcr.Models.Training;
using System.Diagnostics;
using DeepPcr.Autograd;
using DeepPcr.Models.Data;
using DeepPcr.Models.ResNet;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Training;

/// <summary>
/// One solver's training run: its own copy of the network (identical initial weights), its own Adam, the
/// shared minibatch order, and for `deeppcr-warm` the block states of every minibatch from the previous epoch.
/// </summary>
public sealed class SolverRun : IDisposable
{
    private readonly ResNetClassifier model;
    private readonly Adam optimizer;
    private readonly Dictionary<int, Tensor> warmStates = new();
    private double wallMs;

    /// <summary>A fresh run; every run built with the same options starts from the same weights.</summary>
    public SolverRun(string name, ResNetTrainingOptions options, Dataset data)
    {
        Name = name;
        model = new ResNetClassifier(data.Features, options.Width, options.Depth, data.Classes, options.Seed)
        {
            Mode = name == "sequential" ? ChainMode.Sequential : ChainMode.Parallel,
        };
        if (name == "sequential-host") model.Solver = SequentialSolver.Instance;
        optimizer = new Adam(model.parameters(), options.LearningRate);
    }

    /// <summary>"sequential", "sequential-host", "deeppcr" or "deeppcr-warm".</summary>
    public string Name { get; }

    /// <summary>The method that ran the blocks' forward pass (what results report).</summary>
    public string Method => Name;

    /// <summary>The engines that ran the blocks' forward solves ("torch" for the sequential pass under autograd).</summary>
    public SortedSet<string> Engines { get; } = new();

    /// <summary>The engines that ran the blocks' backward passes.</summary>
    public SortedSet<string> BackwardEngines { get; } = new();

    /// <summary>The network being trained.</summary>
    public ResNetClassifier Model => model;

    /// <summary>Every epoch so far.</summary>
    public List<EpochRecord> Epochs { get; } = new();

    /// <summary>Trains one epoch over the minibatches in the given order, then measures test accuracy.</summary>
    public EpochRecord RunEpoch(int epoch, IReadOnlyList<int[]> minibatches, Dataset data)
    {
        double lossSum = 0, iterations = 0;
        int solves = 0, fallbacks = 0;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < minibatches.Count; i++)
        {
            using var scope = torch.NewDisposeScope();
            using var index = torch.tensor(minibatches[i].Select(v => (long)v).ToArray());
            var x = data.TrainInputs.index_select(0, index);
            var y = data.TrainLabels.index_select(0, index);
            model.Options = Name == "deeppcr-warm" && warmStates.TryGetValue(i, out var guess)
                ? new SolverOptions(InitialGuess: InitialGuess.Given, Guess: guess)
                : null;
            optimizer.ZeroGrad();
            var loss = torch.nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.Step();
            lossSum += loss.item<float>();
            if (model.Mode == ChainMode.Parallel && model.LastSolution is { } solution)
            {
                iterations += solution.Iterations;
                solves++;
                if (solution.Fallback != Fallback.None) fallbacks++;
                Engines.Add(solution.EngineName);
                if (model.LastBackwardEngine is { } backward) BackwardEngines.Add(backward.Name());
            }
            else
            {
                Engines.Add(ChainEngine.Torch.Name());
                BackwardEngines.Add(ChainEngine.Torch.Name());
            }
            if (Name == "deeppcr-warm")
            {
                warmStates.GetValueOrDefault(i)?.Dispose();
                warmStates[i] = model.LastStates!.clone().DetachFromDisposeScope();
            }
        }
        double epochMs = watch.Elapsed.TotalMilliseconds;
        wallMs += epochMs;
        var record = new EpochRecord(epoch, epochMs, wallMs, lossSum / minibatches.Count, TestAccuracy(data), solves == 0 ? 0 : iterations / solves, fallbacks);
        Epochs.Add(record);
        return record;
    }

    /// <summary>Accuracy on the test set, evaluated with the sequential pass (the same function for every solver).</summary>
    public double TestAccuracy(Dataset data)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var mode = model.Mode;
        model.Mode = ChainMode.Sequential;
        var predicted = model.call(data.TestInputs).argmax(1);
        model.Mode = mode;
        return predicted.eq(data.TestLabels).to_type(ScalarType.Float64).mean().ToDouble();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in warmStates.Values) t.Dispose();
        optimizer.Dispose();
        model.Dispose();
    }
}
