using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.ResNet;

/// <summary>
/// Residual blocks z_{k+1} = z_k + h tanh(W_k z_k + b_k) as a chain: J_k = I + h diag(tanh') W_k. A small step
/// scale h keeps every J_k close to the identity, so products over 1024 blocks neither explode nor vanish.
/// </summary>
public sealed class ResidualChain : IDifferentiableChainStep
{
    private readonly MlpChain branch;

    /// <summary>Blocks with weights (L, w, w), biases (L, w) and step scale h.</summary>
    public ResidualChain(Tensor weights, Tensor biases, double stepScale)
    {
        if (!double.IsFinite(stepScale)) throw new ArgumentException($"The step scale h must be finite (got {stepScale}).", nameof(stepScale));
        branch = new MlpChain(weights, biases, Activation.Tanh);
        StepScale = stepScale;
    }

    /// <summary>h.</summary>
    public double StepScale { get; }

    /// <inheritdoc />
    public int Length => branch.Length;

    /// <inheritdoc />
    public int Width => branch.Width;

    /// <inheritdoc />
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => branch.Parameters;

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        return (inputs + StepScale * branch.Evaluate(first, inputs)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Jacobian(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        var identity = torch.eye(Width, dtype: inputs.dtype, device: inputs.device);
        return (identity + StepScale * branch.Jacobian(first, inputs)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> ParameterGradients(Tensor inputs, Tensor cotangents)
    {
        using var scope = torch.NewDisposeScope();
        return branch.ParameterGradients(inputs, cotangents * StepScale).Select(g => g.MoveToOuterDisposeScope()).ToArray();
    }
}
