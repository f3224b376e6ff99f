package platform

import (
	"os"
	"testing"
)

func TestIsTerminalDevNull(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f.Fd()) {
		t.Errorf("IsTerminal(%s) = true; sudo would wait for a password nobody can type", os.DevNull)
	}
}
