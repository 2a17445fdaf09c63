using System.Text.Json.Nodes;
using DeepPcr.Models.Diffusion;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Diffusion;

/// <summary>The quality measure: the classifier's mean top-class confidence and class histogram, and the Fréchet distance to real digits.</summary>
public sealed class SampleQuality(FeatureClassifier classifier, Tensor realDigits)
{
    private readonly Tensor realFeatures = Features(classifier, realDigits);

    /// <summary>Adds `mean_confidence`, `class_histogram` and `frechet_distance` (null below 65 samples) to <paramref name="target"/>.</summary>
    public void Describe(Tensor samples, JsonObject target)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = samples.to_type(ScalarType.Float32);
        var probabilities = classifier.call(x).softmax(1);
        target["mean_confidence"] = probabilities.max(1).values.mean().ToDouble();
        var histogram = probabilities.argmax(1).bincount(null, 10).data<long>().ToArray();
        target["class_histogram"] = new JsonArray(histogram.Select(h => (JsonNode)h).ToArray());
        target["frechet_distance"] = FrechetDistance.Compute(Features(classifier, x), realFeatures);
    }

    /// <summary>The Fréchet distance of samples to the real digits, or null below 65 samples.</summary>
    public double? Frechet(Tensor samples)
    {
        using var scope = torch.NewDisposeScope();
        return FrechetDistance.Compute(Features(classifier, samples.to_type(ScalarType.Float32)), realFeatures);
    }

    private static Tensor Features(FeatureClassifier classifier, Tensor x)
    {
        using var noGrad = torch.no_grad();
        return classifier.Features(x).DetachFromDisposeScope();
    }
}
