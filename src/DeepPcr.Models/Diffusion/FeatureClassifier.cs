using DeepPcr.Models.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepPcr.Models.Diffusion;

/// <summary>
/// The quality measure's classifier: a 64-128-64-10 MLP (ReLU) on digits in [-1, 1]. Its 64-dimensional
/// penultimate layer is the feature space of the Fréchet distance; its softmax gives the top-class confidence.
/// </summary>
public sealed class FeatureClassifier : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear first;
    private readonly TorchSharp.Modules.Linear second;
    private readonly TorchSharp.Modules.Linear head;

    /// <summary>A seeded classifier.</summary>
    public FeatureClassifier(long seed) : base("FeatureClassifier")
    {
        torch.random.manual_seed(seed);
        first = nn.Linear(64, 128);
        second = nn.Linear(128, 64);
        head = nn.Linear(64, 10);
        RegisterComponents();
    }

    /// <summary>Class scores (N, 10) for digits (N, 64).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return head.call(Features(x)).MoveToOuterDisposeScope();
    }

    /// <summary>The 64-dimensional features (N, 64).</summary>
    public Tensor Features(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return second.call(first.call(x).relu()).relu().MoveToOuterDisposeScope();
    }

    /// <summary>Trains with cross-entropy and Adam; returns the test accuracy.</summary>
    public double Train(Tensor trainX, Tensor trainY, Tensor testX, Tensor testY, int epochs, long seed)
    {
        using var optimizer = new DeepPcr.Models.Training.Adam(parameters(), 1e-3);
        var generator = new Generator((ulong)seed);
        long count = trainX.size(0);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            using var order = torch.randperm(count, generator: generator);
            for (long from = 0; from < count; from += 64)
            {
                using var scope = torch.NewDisposeScope();
                var index = order.narrow(0, from, Math.Min(64, count - from));
                var loss = nn.functional.cross_entropy(call(trainX.index_select(0, index)), trainY.index_select(0, index));
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step();
            }
        }
        using var noGrad = torch.no_grad();
        using var predicted = call(testX).argmax(1);
        return predicted.eq(testY).to_type(ScalarType.Float64).mean().ToDouble();
    }
}
