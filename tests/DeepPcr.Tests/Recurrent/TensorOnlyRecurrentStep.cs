using DeepPcr.Chains;
using DeepPcr.Recurrent;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Recurrent;

/// <summary>Hides a recurrent step's host kernels, so that the solvers and the adjoint take the TorchSharp-operation path.</summary>
internal sealed class TensorOnlyRecurrentStep(RecurrentStep inner) : IDrivenChainStep, IBlockDiagonalJacobian
{
    public int Length => inner.Length;
    public int Width => inner.Width;
    public int JacobianBlocks => inner.JacobianBlocks;
    public JacobianStructure JacobianStructure => inner.JacobianStructure;
    public Tensor StepInputs => inner.StepInputs;
    public IReadOnlyList<Tensor> Parameters => inner.Parameters;
    public Tensor Evaluate(int first, Tensor inputs) => inner.Evaluate(first, inputs);
    public Tensor EvaluateDriven(int first, Tensor inputs, Tensor stepInputs) => inner.EvaluateDriven(first, inputs, stepInputs);
    public Tensor? Jacobian(int first, Tensor inputs) => inner.Jacobian(first, inputs);
    public IReadOnlyList<Tensor>? ParameterGradients(Tensor inputs, Tensor cotangents) => inner.ParameterGradients(inputs, cotangents);
    public Tensor? StepInputGradients(Tensor inputs, Tensor cotangents) => inner.StepInputGradients(inputs, cotangents);
}
