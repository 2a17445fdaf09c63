using DeepPcr.Chains;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Support;

/// <summary>Hides a step's host kernels, so that the solvers take their TorchSharp-operation path: the reference.</summary>
public sealed class TensorOnlyStep(IDifferentiableChainStep inner) : IDifferentiableChainStep
{
    public int Length => inner.Length;
    public int Width => inner.Width;
    public JacobianStructure JacobianStructure => inner.JacobianStructure;
    public Tensor Evaluate(int first, Tensor inputs) => inner.Evaluate(first, inputs);
    public Tensor? Jacobian(int first, Tensor inputs) => inner.Jacobian(first, inputs);
    public IReadOnlyList<Tensor> Parameters => inner.Parameters;
    public IReadOnlyList<Tensor>? ParameterGradients(Tensor inputs, Tensor cotangents) =>
        inner is Models.Mlp.MlpChain mlp ? mlp.ParameterGradientsWithTorch(inputs, cotangents) : inner.ParameterGradients(inputs, cotangents);
}
