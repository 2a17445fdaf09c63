using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Diffusion;

/// <summary>
/// The Fréchet distance between two sets of features, each summarised by its mean and covariance (float64):
/// |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1^(1/2) S_2 S_1^(1/2))^(1/2)). A d-dimensional covariance needs more than
/// d samples to have full rank, so fewer give null.
/// </summary>
public static class FrechetDistance
{
    /// <summary>The distance, or null when either set has no more samples than dimensions.</summary>
    /// <param name="a">(N_a, d).</param>
    /// <param name="b">(N_b, d).</param>
    public static double? Compute(Tensor a, Tensor b)
    {
        long d = a.size(1);
        if (a.size(0) <= d || b.size(0) <= d) return null;
        using var scope = torch.NewDisposeScope();
        var (mu1, s1) = Moments(a.to_type(ScalarType.Float64));
        var (mu2, s2) = Moments(b.to_type(ScalarType.Float64));
        var root1 = SymmetricSqrt(s1);
        var middle = torch.matmul(torch.matmul(root1, s2), root1);
        var traceRoot = torch.linalg.eigvalsh(0.5 * (middle + middle.t())).clamp_min(0).sqrt().sum();
        return ((mu1 - mu2).square().sum() + s1.trace() + s2.trace() - 2 * traceRoot).ToDouble();
    }

    private static (Tensor Mean, Tensor Covariance) Moments(Tensor x)
    {
        var mean = x.mean(new long[] { 0 });
        var centred = x - mean;
        return (mean, torch.matmul(centred.t(), centred) / (x.size(0) - 1));
    }

    private static Tensor SymmetricSqrt(Tensor s)
    {
        var (values, vectors) = torch.linalg.eigh(s);
        return torch.matmul(vectors * values.clamp_min(0).sqrt(), vectors.t());
    }
}
