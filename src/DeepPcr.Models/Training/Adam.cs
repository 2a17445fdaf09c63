using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace DeepPcr.Models.Training;

/// <summary>
/// Adam (Kingma and Ba, 2015) with PyTorch's update: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
/// p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps), and no weight decay.
/// <para>
/// It replaces TorchSharp 0.107's <c>torch.optim.Adam</c>, whose step passes implicitly converted scalars to native
/// calls without keeping them alive: the garbage collector may finalise a scalar while libtorch reads it, and the step
/// then fails with "Unknown scalar type" (seen in `deeppcr train resnet` on a loaded machine, in at::native::div
/// under Adam's step). Here every scalar is a local disposed after the calls that read it.
/// </para>
/// </summary>
public sealed class Adam : IDisposable
{
    private readonly Parameter[] parameters;
    private readonly Tensor[] means, squares;
    private readonly double learningRate, beta1, beta2, eps;
    private long steps;

    /// <summary>Adam over the given parameters (zero moments).</summary>
    /// <param name="parameters">The parameters to update; each gets a first and second moment of its shape.</param>
    /// <param name="learningRate">lr &gt; 0.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="eps">Added to the denominator, &gt;= 0.</param>
    /// <exception cref="ArgumentException">A setting out of range.</exception>
    public Adam(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate > 0) || !double.IsFinite(learningRate)) throw new ArgumentException($"The learning rate must be a positive number, not {learningRate}.", nameof(learningRate));
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"beta1 must be in [0, 1), not {beta1}.", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"beta2 must be in [0, 1), not {beta2}.", nameof(beta2));
        if (!(eps >= 0)) throw new ArgumentException($"eps must be >= 0, not {eps}.", nameof(eps));
        this.parameters = parameters.ToArray();
        (this.learningRate, this.beta1, this.beta2, this.eps) = (learningRate, beta1, beta2, eps);
        means = this.parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
        squares = this.parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Steps taken so far.</summary>
    public long Steps => steps;

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        steps++;
        double correction1 = 1 - Math.Pow(beta1, steps), correction2 = 1 - Math.Pow(beta2, steps);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using Scalar keep1 = beta1, keep2 = beta2, rest1 = 1 - beta1, rest2 = 1 - beta2;
        using Scalar root2 = Math.Sqrt(correction2), epsilon = eps, step = -learningRate / correction1;
        for (int i = 0; i < parameters.Length; i++)
        {
            var grad = parameters[i].grad;
            if (grad is null) continue;
            means[i].mul_(keep1).add_(grad, rest1);
            squares[i].mul_(keep2).addcmul_(grad, grad, rest2);
            var denominator = squares[i].sqrt().div_(root2).add_(epsilon);
            parameters[i].addcdiv_(means[i], denominator, step);
        }
    }

    /// <summary>Frees the moments.</summary>
    public void Dispose()
    {
        foreach (var t in means.Concat(squares)) t.Dispose();
    }
}
