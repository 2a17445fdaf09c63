using DeepPcr.Autograd;
using DeepPcr.Backward;
using DeepPcr.Models.Modules;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// A user's own TorchSharp layers through <see cref="ModuleChains"/> against the same layers called one after another
/// under autograd, float64: the output, the input gradient and every parameter's .grad pooled, max_rel_error at most 1e-8.
/// </summary>
public class ModuleChainsTests
{
    private static nn.Module<Tensor, Tensor> Activation(string name) => name switch
    {
        "tanh" => nn.Tanh(),
        "relu" => nn.ReLU(),
        "sigmoid" => nn.Sigmoid(),
        "gelu" => nn.GELU(),
        _ => nn.Identity(),
    };

    private static TorchSharp.Modules.Sequential Layers(int length, int width, string[] activations, bool bias, long seed)
    {
        torch.random.manual_seed(seed);
        var modules = new List<nn.Module<Tensor, Tensor>>();
        for (int k = 0; k < length; k++)
        {
            modules.Add(nn.Linear(width, width, hasBias: bias, dtype: ScalarType.Float64));
            string a = activations[k % activations.Length];
            if (a != "none") modules.Add(Activation(a));
        }
        return nn.Sequential(modules);
    }

    /// <summary>Output, input gradient and every parameter gradient of a loss through <paramref name="run"/>.</summary>
    private static List<Tensor> Gradients(Func<Tensor, Tensor> run, IEnumerable<Tensor> parameters, Tensor input)
    {
        var list = parameters.ToList();
        foreach (var p in list) p.grad?.zero_();
        var x = input.clone().requires_grad_(true);
        var output = run(x);
        output.square().sum().backward();
        var result = new List<Tensor> { output.detach().clone(), x.grad!.clone() };
        result.AddRange(list.Select(p => p.grad!.clone()));
        return result;
    }

    private static double PooledError(IReadOnlyList<Tensor> value, IReadOnlyList<Tensor> reference)
    {
        double delta = 0, scale = 0;
        for (int i = 0; i < reference.Count; i++)
        {
            delta = Math.Max(delta, Recurrences.MaxAbsDiff(value[i], reference[i]));
            scale = Math.Max(scale, Recurrences.MaxAbs(reference[i]));
        }
        return delta / scale;
    }

    [Theory]
    [InlineData(1, 3, "tanh", true, "deeppcr")]
    [InlineData(3, 3, "relu", false, "deeppcr")]
    [InlineData(64, 8, "tanh", true, "deeppcr")]
    [InlineData(64, 8, "sigmoid", true, "auto")]
    [InlineData(5, 3, "none", true, "auto")]
    [InlineData(7, 3, "gelu", true, "deeppcr")]
    [InlineData(5, 3, "tanh,relu", true, "deeppcr")]
    [InlineData(64, 8, "sigmoid,none,tanh,tanh", false, "auto")]
    [InlineData(9, 3, "relu,tanh,sigmoid", true, "auto")]
    public void RecognisedLayersRunOnTheHostEngineAndEqualThePlainLayers(int length, int width, string activation, bool bias, string solver)
    {
        using var scope = torch.NewDisposeScope();
        var layers = Layers(length, width, activation.Split(','), bias, seed: length + width);
        var input = torch.randn(new long[] { 4, width }, dtype: ScalarType.Float64, generator: new Generator(2));
        var chain = ModuleChains.From(layers, solver == "auto" ? AutoSolver.Instance : ParallelChainSolver.DeepPcr);
        Assert.IsType<LinearLayersStep>(chain.Step);
        Assert.Equal(layers.parameters().Count(), chain.parameters().Count());

        var reference = Gradients(layers.call, layers.parameters(), input);
        var value = Gradients(chain.call, layers.parameters(), input);
        Assert.InRange(PooledError(value, reference), 0.0, 1e-8);
        // The host kernels have float64 GELU only on the tensor path (HostActivation.ExactFor).
        var engine = activation == "gelu" ? ChainEngine.Torch : ChainEngine.Host;
        Assert.Equal(engine, chain.LastEngine);
        Assert.Equal(engine, chain.LastAdjoint!.Engine);
        if (solver == "deeppcr") Assert.Equal(ChainMethod.DeepPcr, chain.LastMethod);
    }

    [Theory]
    [InlineData(1, 3, "deeppcr")]
    [InlineData(5, 8, "deeppcr")]
    [InlineData(64, 4, "auto")]
    public void StacksOfResidualBlocksRunOnTheHostEngineAndEqualThePlainBlocks(int length, int width, string solver)
    {
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(length + width);
        var blocks = nn.Sequential(Enumerable.Range(0, length).Select(_ => (nn.Module<Tensor, Tensor>)new DeepPcr.Models.ResNet.ResidualBlock(width, 0.5, ScalarType.Float64)).ToList());
        var input = torch.randn(new long[] { 3, width }, dtype: ScalarType.Float64, generator: new Generator(4));
        var chain = ModuleChains.From(blocks, solver == "auto" ? AutoSolver.Instance : ParallelChainSolver.DeepPcr);
        Assert.IsType<ResidualBlocksStep>(chain.Step);
        Assert.Equal(2 * length, chain.parameters().Count());

        var reference = Gradients(blocks.call, blocks.parameters(), input);
        var value = Gradients(chain.call, blocks.parameters(), input);
        Assert.InRange(PooledError(value, reference), 0.0, 1e-8);
        Assert.Equal(ChainEngine.Host, chain.LastEngine);
        Assert.Equal(ChainEngine.Host, chain.LastAdjoint!.Engine);
    }

    [Fact]
    public void ResidualBlocksOfDifferentStepScalesAreNotOneChain()
    {
        using var scope = torch.NewDisposeScope();
        var blocks = new List<nn.Module> { new DeepPcr.Models.ResNet.ResidualBlock(3, 0.5, ScalarType.Float64), new DeepPcr.Models.ResNet.ResidualBlock(3, 0.25, ScalarType.Float64) };
        Assert.Null(ModuleChains.RecogniseResidualBlocks(blocks));
        Assert.IsType<ModuleListStep>(ModuleChains.From(blocks, ParallelChainSolver.DeepPcr).Step);
        Assert.Contains("step scales", Assert.Throws<ArgumentException>(() => new ResidualBlocksStep(blocks.Cast<DeepPcr.Models.ResNet.ResidualBlock>().ToList())).Message);
    }

    [Fact]
    public void AnOptimiserStepIsSeenByTheNextForwardPass()
    {
        using var scope = torch.NewDisposeScope();
        var layers = Layers(6, 3, new[] { "tanh" }, true, seed: 9);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var chain = ModuleChains.From(layers, ParallelChainSolver.DeepPcr);
        var optimizer = torch.optim.SGD(chain.parameters(), 0.1);
        optimizer.zero_grad();
        chain.call(input).square().sum().backward();
        optimizer.step();
        using var noGrad = torch.no_grad();
        Assert.InRange(Recurrences.MaxAbsDiff(chain.call(input), layers.call(input)), 0.0, 1e-12);
    }

    [Fact]
    public void AGraphBuiltBeforeAnotherForwardPassStillGivesItsGradients()
    {
        using var scope = torch.NewDisposeScope();
        var layers = Layers(9, 3, new[] { "tanh" }, true, seed: 10);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(7));
        var chain = ModuleChains.From(layers, ParallelChainSolver.DeepPcr);
        var reference = Gradients(layers.call, layers.parameters(), input);
        foreach (var p in layers.parameters()) p.grad?.zero_();
        var x = input.clone().requires_grad_(true);
        var first = chain.call(x);
        chain.call(input);                    // a second forward pass re-stacks the parameters
        first.square().sum().backward();
        var value = new List<Tensor> { first.detach(), x.grad! };
        value.AddRange(layers.parameters().Select(p => p.grad!));
        Assert.InRange(PooledError(value, reference), 0.0, 1e-8);
    }

    [Theory]
    [InlineData("non-square")]
    [InlineData("layernorm")]
    public void UnrecognisedModulesStillGiveThePlainAnswers(string kind)
    {
        using var scope = torch.NewDisposeScope();
        const int width = 3, length = 5;
        torch.random.manual_seed(4);
        List<nn.Module> blocks = kind == "non-square"
            ? Enumerable.Range(0, length).Select(_ => (nn.Module)nn.Sequential(
                nn.Linear(width, 2 * width, dtype: ScalarType.Float64), nn.Tanh(), nn.Linear(2 * width, width, dtype: ScalarType.Float64))).ToList()
            : Enumerable.Range(0, length).Select(_ => (nn.Module)nn.Sequential(
                nn.Linear(width, width, dtype: ScalarType.Float64), nn.LayerNorm(width, dtype: ScalarType.Float64), nn.Tanh())).ToList();
        var chain = ModuleChains.From(blocks, ParallelChainSolver.DeepPcr);
        Assert.IsType<ModuleListStep>(chain.Step);
        var parameters = chain.parameters().ToList();
        var input = torch.randn(new long[] { 2, width }, dtype: ScalarType.Float64, generator: new Generator(5));
        Tensor Plain(Tensor x)
        {
            foreach (var b in blocks) x = ((nn.Module<Tensor, Tensor>)b).call(x);
            return x;
        }
        var reference = Gradients(Plain, parameters, input);
        var value = Gradients(chain.call, parameters, input);
        Assert.InRange(PooledError(value, reference), 0.0, 1e-8);
        Assert.Equal(ChainEngine.Torch, chain.LastEngine);

        chain.Solver = AutoSolver.Instance;
        var auto = Gradients(chain.call, parameters, input);
        Assert.InRange(PooledError(auto, reference), 0.0, 1e-8);
        Assert.NotNull(chain.LastMethod);
    }

    [Fact]
    public void AutoSolvesTheReversedChainWithTheCalibratedMethod()
    {
        using var scope = torch.NewDisposeScope();
        var layers = Layers(32, 4, new[] { "tanh" }, true, seed: 12);
        var chain = ModuleChains.From(layers, AutoSolver.Instance);
        var input = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(6));
        Gradients(chain.call, layers.parameters(), input);
        // After a sequential forward pass the choice is between PCR and the pass from the states (calibrated apart).
        var chosen = AdjointChoice.Known(chain.Step, input, fromStates: chain.LastMethod == ChainMethod.Sequential);
        Assert.NotNull(chosen);
        Gradients(chain.call, layers.parameters(), input);
        Assert.Equal(chosen, chain.LastAdjoint!.Method);
    }
}
