using DeepPcr.Autograd;
using DeepPcr.Chains;
using DeepPcr.Engines;
using DeepPcr.Linear;
using DeepPcr.Models.Diffusion;
using DeepPcr.Models.Mlp;
using DeepPcr.Models.Modules;
using DeepPcr.Models.ResNet;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// One contract, run over every step type in the repository, float64 (L = 5, B = 2): a batched evaluation of a run
/// of steps equals the steps evaluated one at a time; the step's Jacobian, in its declared structure and shape, equals
/// autograd's; DeepPCR's states equal the sequential pass's; and where the host engine applies, its states and its
/// backward pass equal the TorchSharp engine's. Bounds: 1e-12 for evaluations and Jacobians, 1e-9 for solves.
/// </summary>
public class StepContractTests
{
    private const int Length = 5, Batch = 2;

    public static TheoryData<string> Steps() => new()
    {
        "mlp-tanh", "mlp-relu", "mlp-sigmoid", "mlp-gelu", "mlp-identity", "mlp-per-layer", "residual", "mlp-stack", "residual-stack",
        "linear-layers", "residual-blocks", "module-list", "diffusion", "driven", "tanh-layer",
    };

    private static IChainStep Make(string name)
    {
        var g = new Generator(17);
        Tensor W(long w) => torch.randn(new long[] { Length, w, w }, dtype: ScalarType.Float64, generator: g) * (0.9 / Math.Sqrt(w));
        Tensor B(long w) => torch.randn(new long[] { Length, w }, dtype: ScalarType.Float64, generator: g) * 0.1;
        switch (name)
        {
            case "residual": return new ResidualChain(W(3), B(3), stepScale: 0.5);
            case "mlp-per-layer":
                return new MlpChain(W(3), B(3), new[] { Activation.Tanh, Activation.Tanh, Activation.Relu, Activation.Sigmoid, Activation.Identity });
            case "mlp-stack": return new MlpStack(W(3), B(3), Activation.Tanh);
            case "residual-stack": return new ResidualStack(W(3), B(3), stepScale: 0.5);
            case "linear-layers":
                torch.random.manual_seed(3);
                return new LinearLayersStep(Enumerable.Range(0, Length).Select(_ => nn.Linear(3, 3, dtype: ScalarType.Float64)).ToList(), Activation.Tanh);
            case "residual-blocks":
                torch.random.manual_seed(5);
                return new ResidualBlocksStep(Enumerable.Range(0, Length).Select(_ => new DeepPcr.Models.ResNet.ResidualBlock(3, 0.5, ScalarType.Float64)).ToList());
            case "module-list":
                torch.random.manual_seed(4);
                return new ModuleListStep(Enumerable.Range(0, Length).Select(_ => (nn.Module<Tensor, Tensor>)nn.Sequential(
                    nn.Linear(3, 3, dtype: ScalarType.Float64), nn.LayerNorm(3, dtype: ScalarType.Float64), nn.Tanh())), 3);
            case "diffusion":
                var schedule = new NoiseSchedule(Length);
                var (_, noise) = DiffusionChain.DrawNoise(schedule, Batch, 4, seed: 5, ScalarType.Float64);
                return new DiffusionChain(new Denoiser(4, 8, seed: 6, ScalarType.Float64), schedule, noise);
            case "driven": return DrivenTanhStep.Random(Length, 3, inputWidth: 2, batch: Batch, gain: 0.9, ScalarType.Float64, seed: 7);
            case "tanh-layer": return TanhLayerStep.Random(Length, 3, 0.9, ScalarType.Float64, seed: 8);
            default:
                var activation = Enum.Parse<Activation>(name["mlp-".Length..], ignoreCase: true);
                return new MlpChain(W(3), B(3), activation);
        }
    }

    private static Tensor Input(IChainStep step) =>
        torch.randn(new long[] { Batch, step.Width }, dtype: ScalarType.Float64, generator: new Generator(9));

    [Theory]
    [MemberData(nameof(Steps))]
    public void EveryStepKeepsTheContract(string name)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var step = Make(name);
        var input = Input(step);
        var states = SequentialPass.Run(step, input);
        var inputs = ChainStates.Shift(input, states);

        // A run of steps evaluated at once equals each step evaluated alone.
        var batched = step.Evaluate(1, inputs.narrow(0, 1, Length - 1));
        for (int k = 1; k < Length; k++)
        {
            Assert.InRange(Recurrences.MaxAbsDiff(batched[k - 1], step.Evaluate(k, inputs.narrow(0, k, 1))[0]), 0.0, 1e-12);
        }

        // The Jacobian has the declared structure's shape and equals autograd's.
        var structure = BlockStructure.Of(step);
        var jacobian = AutogradJacobian.Of(step, 0, inputs);
        structure.CheckShape(jacobian, "jacobian", Length, Batch, step.Width);
        var dense = structure.ToDense(jacobian, step.Width);
        var reference = AutogradJacobian.Compute(step, 0, inputs, BlockStructure.Dense);
        Assert.InRange(Recurrences.MaxAbsDiff(dense, reference), 0.0, 1e-12 * Math.Max(1.0, Recurrences.MaxAbs(reference)));

        // DeepPCR equals the sequential pass.
        var solution = ParallelChainSolver.DeepPcr.Solve(step, input);
        Assert.Equal(Termination.Converged, solution.Termination);
        Assert.Equal(Fallback.None, solution.Fallback);
        Assert.Equal(EngineSelection.ForNewton(step, Newton.JacobianChoice.Exact, Newton.PlainStep.Instance, input), solution.Engine);
        Assert.InRange(Recurrences.MaxAbsDiff(solution.States, states), 0.0, 1e-9 * Math.Max(1.0, Recurrences.MaxAbs(states)));
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void TheHostEngineAgreesWithTheTorchEngineWhereItApplies(string name)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var step = Make(name);
        var input = Input(step);
        if (EngineSelection.ForNewton(step, Newton.JacobianChoice.Exact, Newton.PlainStep.Instance, input) != ChainEngine.Host)
        {
            Assert.False(step is IHostChainStep hostStep && hostStep.SupportsHost(ScalarType.Float64) && step.JacobianStructure == JacobianStructure.Dense,
                "a dense host step with float64 host kernels must reach the host engine");
            return;
        }
        var torchOnly = step is IDifferentiableChainStep d ? new TensorOnlyStep(d) : null;
        Assert.NotNull(torchOnly);
        var host = ParallelChainSolver.DeepPcr.Solve(step, input);
        var reference = ParallelChainSolver.DeepPcr.Solve(torchOnly!, input);
        Assert.Equal(ChainEngine.Host, host.Engine);
        Assert.Equal(ChainEngine.Torch, reference.Engine);
        Assert.Equal(reference.Iterations, host.Iterations);
        Assert.InRange(Recurrences.MaxAbsDiff(host.States, reference.States), 0.0, 1e-9);
        CarriedErrorTests.AssertSameEstimate(host, reference);

        var cotangent = torch.randn(new long[] { Batch, step.Width }, dtype: ScalarType.Float64, generator: new Generator(10));
        var hostAdjoint = Backward.AdjointSolver.Solve(step, input, host.States, cotangent);
        var torchAdjoint = Backward.AdjointSolver.Solve(torchOnly!, input, host.States, cotangent);
        Assert.Equal(ChainEngine.Host, hostAdjoint.Engine);
        Assert.Equal(ChainEngine.Torch, torchAdjoint.Engine);
        Assert.InRange(Recurrences.MaxAbsDiff(hostAdjoint.InputGradient, torchAdjoint.InputGradient), 0.0, 1e-10);
        for (int i = 0; i < hostAdjoint.ParameterGradients.Count; i++)
        {
            Assert.InRange(Recurrences.MaxAbsDiff(hostAdjoint.ParameterGradients[i], torchAdjoint.ParameterGradients[i]), 0.0, 1e-10);
        }
    }
}
